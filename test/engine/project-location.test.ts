import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverEngine, realDiscoveryHost } from '@/backend/engine/discovery';
import { checkProjectLocation, filesystemProblem, mountOf, parseMountInfo } from '@/backend/engine/project-location';
import { copyProject } from '@/backend/projects/copy-project';
import { findStudioContainers, OWNER_LABEL, studioLabels } from '@/backend/engine/labels';
import type { ProjectLocation } from '@/shared/api/contract';

/**
 * The project location check: a project on a FUSE file system such as /eos gets a warning with
 * the fix (copy it to /afs or a local disk), and a folder the engine does not see is found by a
 * probe mount. The FUSE mounts are real (Debian's bindfs on /dev/fuse); the "engine cannot see
 * it" case is a FUSE mount made in a private mount namespace, which the Docker daemon (outside
 * it) sees as the empty folder underneath, as an engine in a VM sees a folder it does not share.
 */

const MOUNTINFO = [
  '22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '95 22 0:50 / /afs rw,relatime shared:60 - afs AFS rw',
  '120 22 0:61 / /eos/user rw,nosuid,nodev,relatime shared:70 - fuse.eosxd eosuser rw,user_id=0,group_id=0,allow_other',
  '130 22 0:70 / /data/nfs\\040share rw,relatime shared:80 - nfs4 server:/export rw,vers=4.2',
].join('\n');

describe('the file system a project is on', () => {
  const mounts = parseMountInfo(MOUNTINFO);

  it('finds the mount of a folder (the longest mount point containing it), with escaped spaces', () => {
    expect(mountOf('/eos/user/p/phys/model', mounts)).toEqual({ mountPoint: '/eos/user', type: 'fuse.eosxd', source: 'eosuser' });
    expect(mountOf('/afs/cern.ch/user/p/phys', mounts)?.type).toBe('afs');
    expect(mountOf('/data/nfs share/x', mounts)?.type).toBe('nfs4');
    expect(mountOf('/home/phys', mounts)?.type).toBe('ext4');
    expect(mountOf('/eos/userx', mounts)?.type).toBe('ext4'); // not inside /eos/user
  });

  it('warns about EOS, naming the fix', () => {
    const p = filesystemProblem(
      '/eos/user/p/phys/model',
      mountOf('/eos/user/p/phys/model', mounts)!,
      '/afs/cern.ch/user/p/phys/dism-projects/model',
    );
    expect(p).toEqual({
      kind: 'fuse',
      severity: 'warning',
      title: 'This project is on EOS (/eos/user), which containers cannot mount',
      message:
        "/eos/user/p/phys/model is on fuse.eosxd (eosuser). A FUSE mount such as EOS shows its files only to the user who mounted it, with that user's credentials; the container engine is another user (root, or the user namespace of rootless Podman), so the model server and dismcli cannot bind-mount the project: they fail or see an empty folder.",
      fix: 'Copy the project to /afs (your AFS home) or a local disk and work on the copy (DISM Studio can copy it, e.g. to /afs/cern.ch/user/p/phys/dism-projects/model); export the artifacts to /eos afterwards if you need them there.',
    });
  });

  it('has nothing to say about AFS or a local disk; warns about a network file system', () => {
    expect(filesystemProblem('/afs/cern.ch/user/p/phys', mountOf('/afs/cern.ch/user/p/phys', mounts)!)).toBeNull();
    expect(filesystemProblem('/home/phys', mountOf('/home/phys', mounts)!)).toBeNull();
    const nfs = filesystemProblem('/data/nfs share/x', mountOf('/data/nfs share/x', mounts)!);
    expect(nfs).toMatchObject({
      kind: 'network',
      severity: 'warning',
      title: 'This project is on a network file system (nfs4 at /data/nfs share)',
    });
    expect(nfs!.fix).toContain('Copy the project to a local disk');
  });
});

const CAN_FUSE = existsSync('/dev/fuse') && spawnSync('bindfs', ['--version']).status === 0 && process.getuid?.() === 0;

describe.skipIf(!CAN_FUSE)('a project on a real FUSE mount (bindfs)', () => {
  let tmp: string;
  let src: string;
  let mnt: string;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-fuse-'));
    src = path.join(tmp, 'eos-like');
    mnt = path.join(tmp, 'mnt', 'eos', 'project');
    await fs.mkdir(path.join(src, 'model', '.dism-artifacts', 'build'), { recursive: true });
    await fs.mkdir(mnt, { recursive: true });
    await fs.writeFile(path.join(src, 'template.yaml'), 'TemplateFormatVersion: "2025-03-31"\n');
    await fs.writeFile(path.join(src, 'model', 'model.onnx'), Buffer.alloc(4096, 7), { mode: 0o640 });
    await fs.writeFile(path.join(src, 'model', '.dism-artifacts', 'build', 'big.bin'), Buffer.alloc(1024));
    await fs.symlink('model/model.onnx', path.join(src, 'current.onnx'));
  });

  afterAll(async () => {
    spawnSync('fusermount', ['-u', mnt]);
    spawnSync('umount', [mnt]);
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('gets the FUSE warning with the copy fix before a build or start; the engine (root, allow_other) still sees it', async () => {
    expect(spawnSync('bindfs', [src, mnt]).status).toBe(0);
    try {
      const { docker } = await discoverEngine(realDiscoveryHost({ ...process.env, DOCKER_HOST: '' }));
      const loc = await checkProjectLocation(mnt, docker!, { home: path.join(tmp, 'home') });
      expect(loc.filesystem).toEqual({ type: 'fuse', mountPoint: mnt, source: src });
      expect(loc.problems).toHaveLength(1);
      expect(loc.problems[0]).toMatchObject({
        kind: 'fuse',
        severity: 'warning',
        title: `This project is on a FUSE file system (fuse at ${mnt})`,
      });
      expect(loc.problems[0].message).toContain('A FUSE mount shows its files only to the user who mounted it');
      expect(loc.suggestedCopy).toBe(path.join(tmp, 'home', 'dism-projects', 'project'));
      expect(loc.problems[0].fix).toBe(
        `Copy the project to /afs (your AFS home) or a local disk and work on the copy (DISM Studio can copy it, e.g. to ${loc.suggestedCopy}); export the artifacts to /eos afterwards if you need them there.`,
      );
      expect(loc.probe).toEqual({ outcome: 'sees-the-folder', detail: 'the engine sees template.yaml in the mounted folder' });

      // The one-click fix: the copy lands complete, without the build outputs, modes and links kept.
      const copied = await copyProject(mnt, loc.suggestedCopy!);
      expect(copied).toMatchObject({ to: loc.suggestedCopy, files: 2, bytes: 4096 + 36, skipped: ['model/.dism-artifacts'] });
      expect((await fs.stat(path.join(loc.suggestedCopy!, 'model', 'model.onnx'))).mode & 0o777).toBe(0o640);
      expect(await fs.readlink(path.join(loc.suggestedCopy!, 'current.onnx'))).toBe('model/model.onnx');
      expect(existsSync(path.join(loc.suggestedCopy!, 'model', '.dism-artifacts'))).toBe(false);
      const after = await checkProjectLocation(loc.suggestedCopy!, docker!, { home: path.join(tmp, 'home') });
      expect(after.problems).toEqual([]);
      // Never into a folder that has files, nor inside the project.
      await expect(copyProject(mnt, loc.suggestedCopy!)).rejects.toThrow(/already exists and is not empty/);
      await expect(copyProject(mnt, path.join(mnt, 'copy'))).rejects.toThrow(/is inside the project folder/);
    } finally {
      spawnSync('fusermount', ['-u', mnt]);
    }
  }, 120_000);

  it('a FUSE mount the engine cannot see (made in a private mount namespace) is found by the probe mount and explained', () => {
    // The CLI runs inside the namespace, like a user whose session has a mount the engine's does not.
    const r = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'bindfs "$1" "$2" && exec "$3" bin/dism-studio.mjs engine --project "$2" --json',
        'sh',
        src,
        mnt,
        process.execPath,
      ],
      { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } },
    );
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { state: string; location: ProjectLocation };
    expect(r.status).toBe(1); // an error-level location problem
    expect(out.state).toBe('connected');
    expect(out.location.filesystem?.type).toBe('fuse');
    expect(out.location.probe).toEqual({ outcome: 'empty-folder', detail: 'the engine does not see template.yaml in the mounted folder' });
    expect(out.location.problems.map((p) => [p.kind, p.severity])).toEqual([
      ['fuse', 'warning'],
      ['not-shared', 'error'],
    ]);
    const notShared = out.location.problems[1];
    expect(notShared.title).toBe('The container engine does not see this project folder');
    expect(notShared.message).toBe(
      `A probe container with ${mnt} mounted sees the folder empty (no template.yaml): the engine runs somewhere that does not have this folder (another machine, a virtual machine, or another mount namespace). The model server and dismcli would find no model and no template there.`,
    );
    // The probe container is gone.
    const left = spawnSync('docker', ['ps', '-aq', '--filter', 'label=dism.role=mount-probe', '--filter', `label=dism.project=${mnt}`], {
      encoding: 'utf8',
    });
    expect(left.stdout.trim()).toBe('');
  }, 120_000);
});

describe('the probe mount on the real engine', () => {
  it('removes a probe container a killed DISM Studio left behind (owner gone), and leaves none of its own', async () => {
    const { docker } = await discoverEngine(realDiscoveryHost({ ...process.env, DOCKER_HOST: '' }));
    const images = await docker!.listImages();
    const image = images.find((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>'))?.Id;
    if (!image) throw new Error('this test needs a local image (CI builds the stand-ins first)');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-probe-left-'));
    try {
      await fs.writeFile(path.join(dir, 'template.yaml'), 'TemplateFormatVersion: "2025-03-31"\n');
      // As a DISM Studio killed between creating its probe and removing it would leave it: a dead pid as owner.
      const left = await docker!.createContainer({
        Image: image,
        Cmd: ['/never-started'],
        NetworkDisabled: true,
        Labels: { ...studioLabels({ project: dir, role: 'mount-probe' }), [OWNER_LABEL]: `2147483646@${os.hostname()}` },
      });
      const loc = await checkProjectLocation(dir, docker!, { home: path.join(dir, 'home') });
      expect(loc.probe.outcome).toBe('sees-the-folder');
      const probes = await findStudioContainers(docker!, { 'dism.project': dir, 'dism.role': 'mount-probe' });
      expect(probes.map((c) => c.Id)).toEqual([]);
      await expect(left.inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
