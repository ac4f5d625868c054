import { describe, expect, it } from 'vitest';
import { portProblem, timeoutProblem, useBuildRunStore } from './build-run-store';

describe('Build & Run state', () => {
  it('is kept per project', () => {
    const { patch } = useBuildRunStore.getState();
    patch('/a', { image: 'img:1', port: '18080' }, 'template.yaml');
    patch('/b', { image: 'other' });
    patch('/a', { timeoutS: '240' });
    expect(useBuildRunStore.getState().byProject['/a']).toMatchObject({
      templateRel: 'template.yaml',
      image: 'img:1',
      port: '18080',
      timeoutS: '240',
    });
    expect(useBuildRunStore.getState().byProject['/b']).toMatchObject({ image: 'other', port: '', timeoutS: '180' });
  });
  it('checks the port and timeout at their boundaries', () => {
    expect(portProblem('')).toBeNull();
    expect(portProblem('1')).toBeNull();
    expect(portProblem('65535')).toBeNull();
    expect(portProblem('0')).toMatch(/from 1 to 65535/);
    expect(portProblem('65536')).toMatch(/from 1 to 65535/);
    expect(portProblem('80.5')).toMatch(/whole number/);
    expect(timeoutProblem('3600')).toBeNull();
    expect(timeoutProblem('1')).toBeNull();
    expect(timeoutProblem('0.5')).toMatch(/1 to 3600/);
    expect(timeoutProblem('3601')).toMatch(/1 to 3600/);
    expect(timeoutProblem('0')).toMatch(/1 to 3600/);
    expect(timeoutProblem('')).toMatch(/1 to 3600/);
  });
});
