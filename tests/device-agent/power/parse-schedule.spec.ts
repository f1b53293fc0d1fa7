// --pm_schedule parsing: good strings give sorted entries, every bad string is an error that names
// the offending entry (the C++ original skipped malformed tokens, clamped negative sleeps to 0 and
// resolved overlaps silently by start order).
import { describe, expect, it } from 'vitest';
import { parseSchedule, scheduleEntryAt } from '../../../device-agent/power/power-policy.js';

describe('parseSchedule: good strings', () => {
  it('empty means no schedule', () => {
    expect(parseSchedule('')).toEqual([]);
    expect(parseSchedule('   ')).toEqual([]);
  });
  it('the documented example', () => {
    expect(parseSchedule('0-99:300,100-199:200,200-:100')).toEqual([
      { start: 0, end: 99, ms: 300, text: '0-99:300' },
      { start: 100, end: 199, ms: 200, text: '100-199:200' },
      { start: 200, end: null, ms: 100, text: '200-:100' },
    ]);
  });
  it('any order (sorted by start), spaces around the parts, single-step ranges, gaps', () => {
    const e = parseSchedule(' 200-:100 , 5 - 5 : 0,0-3:300 ');
    expect(e.map((x) => [x.start, x.end, x.ms])).toEqual([[0, 3, 300], [5, 5, 0], [200, null, 100]]);
    expect([3, 4, 5, 6, 199, 200, 10_000].map((s) => scheduleEntryAt(e, s)?.ms ?? null)).toEqual([300, null, 0, null, null, 100, 100]);
  });
});

describe('parseSchedule: bad strings name the offending part', () => {
  it.each([
    ['200-100:50', "--pm_schedule: range '200-100' ends before it starts"],
    ['0-99:300,50-150:200', "--pm_schedule: ranges '0-99' and '50-150' overlap (steps 50-99)"],
    ['0-99:1,10-20:2', "--pm_schedule: ranges '0-99' and '10-20' overlap (steps 10-20)"],
    ['0-10:1,10-20:2', "--pm_schedule: ranges '0-10' and '10-20' overlap (steps 10-10)"],
    ['100-:100,200-300:50', "--pm_schedule: open range '100-' must be the last range, but '200-300' starts after it"],
    ['100-:1,0-:2', "--pm_schedule: open range '0-' must be the last range, but '100-' starts after it"],
    ['0-abc:100', "--pm_schedule: range '0-abc' has a non-numeric end 'abc'"],
    ['x-5:100', "--pm_schedule: range 'x-5' has a non-numeric start 'x'"],
    ['1.5-3:100', "--pm_schedule: range '1.5-3' has a non-numeric start '1.5'"],
    ['0-9:-5', "--pm_schedule: entry '0-9:-5' has a negative sleep -5 ms"],
    ['0-9:1.5', "--pm_schedule: entry '0-9:1.5' has a sleep '1.5' that is not a whole number of ms"],
    ['0-9:', "--pm_schedule: entry '0-9:' has a sleep '' that is not a whole number of ms"],
    ['0-9', "--pm_schedule: entry '0-9' has no ':ms'; write start-end:ms or start-:ms (whole steps >= 0, sleep in whole ms)"],
    ['5:100', "--pm_schedule: range '5' in '5:100' is not start-end or start-; write start-end:ms or start-:ms (whole steps >= 0, sleep in whole ms)"],
    ['-5-10:100', "--pm_schedule: range '-5-10' in '-5-10:100' is not start-end or start-; write start-end:ms or start-:ms (whole steps >= 0, sleep in whole ms)"],
    ['0-9:100,', "--pm_schedule: entry 2 of '0-9:100,' is empty; separate entries with single commas, no trailing comma"],
  ])('%s', (s, message) => {
    expect(() => parseSchedule(s)).toThrow(new Error(message));
  });
  it('uses the name it is given (job field style)', () => {
    expect(() => parseSchedule('3-1:0', 'power.schedule')).toThrow("power.schedule: range '3-1' ends before it starts");
  });
});
