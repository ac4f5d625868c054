import { create } from 'zustand';
import type { TemplateDiskState, TemplateDraft } from '@/shared/api/contract/template';
import { nodeAtPath, type ParsedTemplate } from '@/shared/template/document';
import { capProblems, isCappedNote } from '@/shared/template/limits';
import { formatPath, isSyntaxHiddenNote, sortProblems, syntaxFirst, type TemplateProblem } from '@/shared/template/problems';
import { parseTemplateWithinLimits, validateParsed } from '@/shared/template/validate/index';
import { isFsRule } from '@/shared/template/fs-rules';

/** Rules only the back end can check (they need the filesystem). */

export interface DiskChange {
  deleted: boolean;
  text: string | null;
  disk: TemplateDiskState | null;
}

interface TemplateEditorState {
  projectDir: string | null;
  /**
   * The file's line ending. The editor works on '\n' text (CodeMirror counts a line break as one
   * position); saving and drafts convert back, so a CRLF file stays CRLF byte for byte.
   */
  eol: '\n' | '\r\n';
  relPath: string | null;
  /** Text as last loaded from / saved to disk; `dirty` compares against it. */
  savedText: string;
  /** Hash of the disk version our text is based on (null for a file that does not exist yet). */
  baseHash: string | null;
  text: string;
  parsed: ParsedTemplate;
  /**
   * Pure rules on the current text plus the back end's filesystem problems, re-located by path;
   * at most TEMPLATE_LIMITS.maxProblems of them, errors first.
   */
  problems: TemplateProblem[];
  /** The limit the text is over (then it is not parsed: `parsed` holds an empty document), or null. */
  limit: TemplateProblem | null;
  /** How many problems and errors there are in all (more than `problems` holds when the list was cut). */
  problemsTotal: number;
  errorsTotal: number;
  /** Problems not listed because the YAML has a syntax error (they may only be its consequences). */
  hiddenBySyntax: number;
  problemsByPath: Map<string, TemplateProblem[]>;
  /** Errors and warnings at each path or below it (every ancestor path of every problem), for section badges. */
  problemCounts: Map<string, { errors: number; warnings: number }>;
  fsProblems: TemplateProblem[];
  notes: string[];
  draftOffer: TemplateDraft | null;
  diskChange: DiskChange | null;
  saving: boolean;
  lastSavedAt: string | null;

  /** The parse of the current text, computed now if a deferred analysis is pending. */
  ensureParsed(): ParsedTemplate;
  loaded(p: { projectDir: string; relPath: string; text: string; disk: TemplateDiskState | null; draft: TemplateDraft | null }): void;
  setText(text: string): void;
  setFsResult(problems: TemplateProblem[], notes: string[]): void;
  markSaved(text: string, disk: TemplateDiskState): void;
  setDiskChange(c: DiskChange | null): void;
  keepMine(): void;
  setDraftOffer(d: TemplateDraft | null): void;
  setSaving(s: boolean): void;
  close(): void;
}

function relocate(parsed: ParsedTemplate, problems: TemplateProblem[]): TemplateProblem[] {
  return problems.flatMap((p) => {
    const node = nodeAtPath(parsed.doc, p.segments);
    const r = node && 'range' in node ? node.range : undefined;
    if (!r) return [];
    const start = parsed.lineCounter.linePos(r[0]);
    const end = parsed.lineCounter.linePos(r[1]);
    return [{ ...p, from: r[0], to: r[1], line: start.line, column: start.col, endLine: end.line, endColumn: end.col }];
  });
}

function analyse(text: string, fsProblems: TemplateProblem[]) {
  // Within the same limits as the back end: a pasted 20 MB file or runaway nesting never freezes the tab.
  const { parsed, limit } = parseTemplateWithinLimits(text);
  // A YAML syntax error is listed alone (in the list and in the form): the rest may only be its consequences.
  const { problems: all, hidden: hiddenBySyntax } = limit
    ? { problems: [limit], hidden: 0 }
    : syntaxFirst(sortProblems([...validateParsed(parsed), ...relocate(parsed, fsProblems)]));
  // The list and the editor's markers show the first ones; every field still gets its own.
  const { problems, total, errors } = capProblems(all);
  const problemsByPath = new Map<string, TemplateProblem[]>();
  const problemCounts = new Map<string, { errors: number; warnings: number }>();
  for (const p of all) {
    const list = problemsByPath.get(p.path);
    if (list) list.push(p);
    else problemsByPath.set(p.path, [p]);
    for (let k = 0; k <= p.segments.length; k++) {
      const key = formatPath(p.segments.slice(0, k));
      const c = problemCounts.get(key) ?? { errors: 0, warnings: 0 };
      if (p.severity === 'error') c.errors++;
      else c.warnings++;
      problemCounts.set(key, c);
    }
  }
  return { parsed, limit, problems, problemsTotal: total, errorsTotal: errors, hiddenBySyntax, problemsByPath, problemCounts };
}

/**
 * Small templates are re-analysed on every keystroke; big ones (tens of resources) shortly after
 * typing pauses, so typing in the YAML pane never waits for a full parse.
 */
const DEFER_ABOVE_CHARS = 30_000;
const DEFER_MS = 150;
let deferred: ReturnType<typeof setTimeout> | undefined;

const toLf = (t: string) => t.replace(/\r\n/g, '\n');

export const useTemplateStore = create<TemplateEditorState>((set, get) => ({
  projectDir: null,
  eol: '\n',
  relPath: null,
  savedText: '',
  baseHash: null,
  text: '',
  ...analyse('', []),
  fsProblems: [],
  notes: [],
  draftOffer: null,
  diskChange: null,
  saving: false,
  lastSavedAt: null,

  loaded: ({ projectDir, relPath, text: raw, disk, draft }) => {
    clearTimeout(deferred);
    const eol = raw.includes('\r\n') ? '\r\n' : '\n';
    const text = toLf(raw);
    set({
      projectDir,
      relPath,
      eol,
      savedText: text,
      baseHash: disk?.hash ?? null,
      text,
      fsProblems: [],
      notes: [],
      draftOffer: draft ? { ...draft, text: toLf(draft.text) } : null,
      diskChange: null,
      ...analyse(text, []),
    });
  },
  setText: (text) => {
    if (text === get().text) return;
    clearTimeout(deferred);
    if (text.length <= DEFER_ABOVE_CHARS) {
      set({ text, ...analyse(text, get().fsProblems) });
      return;
    }
    set({ text });
    deferred = setTimeout(() => get().ensureParsed(), DEFER_MS);
  },
  ensureParsed: () => {
    const s = get();
    if (s.parsed.text === s.text) return s.parsed;
    clearTimeout(deferred);
    const next = analyse(s.text, s.fsProblems);
    set(next);
    return next.parsed;
  },
  setFsResult: (problems, notes) => {
    const fsProblems = problems.filter((p) => isFsRule(p.rule));
    // The back end's "showing the first N" counts its own list; the panel counts the merged one.
    set({ fsProblems, notes: notes.filter((n) => !isCappedNote(n) && !isSyntaxHiddenNote(n)), ...analyse(get().text, fsProblems) });
  },
  markSaved: (text, disk) => set({ savedText: text, baseHash: disk.hash, lastSavedAt: new Date().toISOString(), diskChange: null }),
  setDiskChange: (c) => set({ diskChange: c ? { ...c, text: c.text === null ? null : toLf(c.text) } : null }),
  keepMine: () => {
    const c = get().diskChange;
    // Our text now counts as based on the disk version: the next save overwrites it (kept as <name>.dism-studio.bak).
    if (c) set({ diskChange: null, baseHash: c.disk?.hash ?? null, savedText: c.text ?? '' });
  },
  setDraftOffer: (draftOffer) => set({ draftOffer }),
  setSaving: (saving) => set({ saving }),
  close: () =>
    set({
      projectDir: null,
      relPath: null,
      eol: '\n',
      savedText: '',
      text: '',
      baseHash: null,
      fsProblems: [],
      notes: [],
      draftOffer: null,
      diskChange: null,
      ...analyse('', []),
    }),
}));

/** Text as it goes to disk (the file's own line endings). */
export function diskText(text: string): string {
  return useTemplateStore.getState().eol === '\r\n' ? text.replace(/\n/g, '\r\n') : text;
}

export const selectDirty = (s: TemplateEditorState) => s.relPath !== null && s.text !== s.savedText;
