/**
 * Host names as ranges, the way ClusterShell's nodesets write them:
 * `h[1-8]`, `gpu[01-04]`, `web[1,3,5-7]`, `r[1-2]n[1-3]` expand to names, and
 * a list of names folds back into the shortest such spelling
 * (`h1,h2,h3,edge` → `edge,h[1-3]`), exactly as `nodeset -f` prints it.
 *
 * Folding follows ClusterShell 1.9 (RangeSet/RangeSetND, autostep off): names
 * are grouped by their pattern (the name with each run of digits as a slot),
 * patterns print in sorted order, a number keeps its zero padding (`08` and
 * `8` are different hosts), and a pattern with several slots is folded on
 * one slot when only one varies, otherwise by merging boxes that differ in
 * one slot, largest first.
 */

import { UsageError } from "../errors.ts";

/** More names than any roster has: a typo like `h[1-99999999]` is refused, not expanded. */
const MAX_EXPANSION = 100_000;

/** Whether a selection term holds a range (`[...]`). */
export function hasRange(term: string): boolean {
  // A `]` alone is a range typed wrong: no name holds a bracket.
  return term.includes("[") || term.includes("]");
}

/** `h[1-3]` → h1, h2, h3; `r[1-2]n[1,3]` → r1n1, r1n3, r2n1, r2n3; a term without brackets → itself. */
export function expandRange(term: string): string[] {
  const parts: string[][] = [];
  let at = 0;
  while (at < term.length) {
    const open = term.indexOf("[", at);
    if (open === -1) {
      if (term.slice(at).includes("]")) throw badRange(term);
      parts.push([term.slice(at)]);
      break;
    }
    const close = term.indexOf("]", open);
    if (close === -1 || term.slice(at, open).includes("]")) throw badRange(term);
    parts.push([term.slice(at, open)]);
    parts.push(rangeItems(term.slice(open + 1, close), term));
    at = close + 1;
  }
  if (term.slice(at).includes("]")) throw badRange(term);
  let names = [""];
  for (const options of parts) {
    if (names.length * options.length > MAX_EXPANSION) {
      throw new UsageError(`host range "${term}" names more than ${MAX_EXPANSION} hosts`);
    }
    names = names.flatMap((prefix) => options.map((o) => prefix + o));
  }
  return names;
}

/** `1,3,5-7` → 1 3 5 6 7; `08-10` → 08 09 10 (the start's zero padding is kept). */
function rangeItems(body: string, term: string): string[] {
  const items: string[] = [];
  for (const item of body.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) throw badRange(term);
    // Past 15 digits a number is no longer exact here, and `n++` would stand still.
    if (m[1].length > 15 || (m[2] ?? "").length > 15) {
      throw new UsageError(`host range "${term}": numbers have at most 15 digits`);
    }
    const [start, end] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (end < start) throw badRange(term);
    // Counted before a single name is made: `h[0-99998,0-99998,…]` is refused at once.
    if (items.length + end - start >= MAX_EXPANSION) {
      throw new UsageError(`host range "${term}" names more than ${MAX_EXPANSION} hosts`);
    }
    const width = m[1].length > 1 && m[1].startsWith("0") ? m[1].length : 0;
    for (let n = start; n <= end; n++) items.push(String(n).padStart(width, "0"));
  }
  return items;
}

function badRange(term: string): UsageError {
  return new UsageError(
    `bad host range "${term}": expected name[1-8], name[01-04] or name[1,3,5-7]`,
  );
}

/** The names, folded as `nodeset -f` folds them. */
export function foldNames(names: Iterable<string>): string {
  const patterns = new Map<string, string[][]>();
  for (const name of new Set(names)) {
    const { pattern, numbers } = splitName(name);
    const points = patterns.get(pattern);
    if (points) points.push(numbers);
    else patterns.set(pattern, [numbers]);
  }
  const folded: string[] = [];
  for (const pattern of [...patterns.keys()].sort(byCodePoint)) {
    const slots = pattern.split(SLOT);
    const points = patterns.get(pattern)!;
    if (slots.length === 1) folded.push(pattern);
    else if (slots.length === 2) folded.push(fill(slots, [new Set(points.map((p) => p[0]))]));
    else for (const box of foldBoxes(points)) folded.push(fill(slots, box));
  }
  return folded.join(",");
}

/** A character no host name holds, standing for a run of digits in a pattern. */
const SLOT = "\0";

function splitName(name: string): { pattern: string; numbers: string[] } {
  const numbers = name.match(/[0-9]+/g) ?? [];
  return { pattern: name.replace(/[0-9]+/g, SLOT), numbers };
}

function fill(slots: string[], box: Set<string>[]): string {
  return slots.reduce((text, literal, i) => text + (i > 0 ? rangeText(box[i - 1]) : "") + literal);
}

function rangeText(set: Set<string>): string {
  const body = ranges(set);
  return set.size > 1 ? `[${body}]` : body;
}

/** One slot's numbers as `1-3,10,01`: runs of consecutive numbers with the same zero padding. */
function ranges(set: Set<string>): string {
  const out: string[] = [];
  let run: { start: number; last: number; pad: number } | null = null;
  const emit = () => {
    if (!run) return;
    const f = (n: number) => String(n).padStart(run!.pad, "0");
    out.push(run.start === run.last ? f(run.start) : `${f(run.start)}-${f(run.last)}`);
  };
  for (const digits of sortNumbers(set)) {
    const n = Number(digits);
    const padded = digits.length > 1 && digits.startsWith("0");
    // A padded run takes any number of its width; an unpadded one never a padded number.
    const fits = run !== null && n === run.last + 1 &&
      (run.pad > 0 ? digits.length === run.pad : !padded);
    if (fits) run!.last = n;
    else {
      emit();
      run = { start: n, last: n, pad: padded ? digits.length : 0 };
    }
  }
  emit();
  return out.join(",");
}

/** ClusterShell's order of a slot's numbers: shorter first, then as text. */
function sortNumbers(set: Iterable<string>): string[] {
  return [...set].sort((a, b) => a.length - b.length || byCodePoint(a, b));
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Box = Set<string>[];

/**
 * Several slots: one box when a single slot varies; otherwise every point
 * is its own box and boxes that differ in one slot merge (disjoint numbers
 * join, a contained set gives way to the larger), largest boxes first —
 * ClusterShell's RangeSetND, so the spelling matches `nodeset -f`.
 */
function foldBoxes(points: string[][]): Box[] {
  const dims = points[0].length;
  const varying = Array.from({ length: dims }, (_, i) => new Set(points.map((p) => p[i])))
    .filter((s) => s.size > 1).length;
  if (varying <= 1) {
    return [Array.from({ length: dims }, (_, i) => new Set(points.map((p) => p[i])))];
  }
  let boxes: Box[] = points.map((p) => p.map((n) => new Set([n])));
  let full = false;
  for (let changed = true; changed;) {
    changed = false;
    boxes = sortBoxes(boxes);
    let i = 0;
    while (i + 1 < boxes.length) {
      let first = boxes[i];
      let j = i + 1;
      i++;
      while (j < boxes.length) {
        const merged = mergeBoxes(first, boxes[j]);
        if (merged) {
          changed = true;
          first = boxes[i - 1] = merged;
          boxes.splice(j, 1);
        } else if (!full) break;
        else j++;
      }
    }
    if (!changed && !full) changed = full = true;
  }
  return boxes;
}

/** Two boxes as one, when they differ in at most one slot in a way that can be joined. */
function mergeBoxes(a: Box, b: Box): Box | null {
  const merged: Box = [];
  let differences = 0;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    if (sameSet(x, y)) merged.push(x);
    else if (![...x].some((n) => y.has(n))) {
      if (++differences > 1) return null;
      merged.push(new Set([...x, ...y]));
    } else if (within(x, y) || within(y, x)) {
      if (++differences > 1) return null;
      merged.push(x.size > y.size ? x : y);
    } else return null;
  }
  return merged;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((n) => b.has(n));
}

function within(inner: Set<string>, outer: Set<string>): boolean {
  return inner.size < outer.size && [...inner].every((n) => outer.has(n));
}

/** Larger boxes first, then wider slots, then lower first and last numbers. */
function sortBoxes(boxes: Box[]): Box[] {
  const key = (box: Box) => {
    const sorted = box.map(sortNumbers);
    return {
      size: box.reduce((n, s) => n * s.size, 1),
      slots: sorted.map((s) => [-s.length, s[0], s.at(-1)!] as const),
    };
  };
  const keyed = boxes.map((box) => ({ box, key: key(box) }));
  keyed.sort((a, b) => {
    if (a.key.size !== b.key.size) return b.key.size - a.key.size;
    for (let i = 0; i < a.key.slots.length; i++) {
      const [x, y] = [a.key.slots[i], b.key.slots[i]];
      if (x[0] !== y[0]) return x[0] - y[0];
      const c = byCodePoint(x[1], y[1]) || byCodePoint(x[2], y[2]);
      if (c !== 0) return c;
    }
    return 0;
  });
  return keyed.map((k) => k.box);
}
