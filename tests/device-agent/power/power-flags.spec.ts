// The --pm_* flags (parsed with the CLI's own parser, merged with the trainer's flags) and the job
// message's `power` block (zod), both producing the same validated PowerConfig.
import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../../../device-agent/cli/args.js';
import { trainFlags } from '../../../device-agent/cli/train-flags.js';
import { jobMessage, PROTOCOL_VERSION } from '../../../device-agent/protocol.js';
import { manualReadingFromFlags, powerConfigFromFlags, powerFlags } from '../../../device-agent/power/power-flags.js';
import { defaultPowerConfig } from '../../../device-agent/power/power-policy.js';
import { powerConfigFromSpec, powerSpec } from '../../../device-agent/power/power-spec.js';

const flags = { ...trainFlags, ...powerFlags };

describe('powerFlags', () => {
  it('merge into the trainer flags without a clash and cover the original\'s --pm_* names', () => {
    expect(Object.keys(powerFlags).filter((k) => k in trainFlags)).toEqual([]);
    for (const name of ['pm_interval', 'pm_batt_thresh', 'pm_fb_high', 'pm_fb_low', 'pm_temp_thresh', 'pm_ft_high', 'pm_ft_low', 'pm_schedule', 'pm_disable_batt', 'pm_disable_temp', 'pm_manual_batt', 'pm_manual_temp']) {
      expect(powerFlags[name], name).toBeDefined();
    }
  });
  it('no --pm_* flag gives the defaults (off)', () => {
    expect(powerConfigFromFlags(parseFlags([], flags))).toEqual(defaultPowerConfig);
    expect(manualReadingFromFlags(parseFlags([], flags))).toBeNull();
  });
  it('every flag reaches its field', () => {
    const v = parseFlags(['--pm_interval', '5', '--pm_batt_thresh', '30', '--pm_fb_high', '4', '--pm_fb_low', '1', '--pm_temp_thresh=40',
      '--pm_ft_high', '3', '--pm_ft_low', '0.25', '--pm_schedule', '0-9:100', '--pm_disable_batt', '--pm_disable_temp', '--pm_batt_when_charging',
      '--pm_max_sleep_ms', '4000'], flags);
    expect(powerConfigFromFlags(v)).toEqual({
      interval: 5, battThresh: 30, fbHigh: 4, fbLow: 1, tempThresh: 40, ftHigh: 3, ftLow: 0.25, schedule: '0-9:100',
      disableBatt: true, disableTemp: true, battIgnoreWhenCharging: false, maxSleepMs: 4000, telemetryMaxAgeMs: defaultPowerConfig.telemetryMaxAgeMs,
    });
  });
  it('inconsistent flags are a UsageError naming them', () => {
    const v = parseFlags(['--pm_interval', '5', '--pm_fb_low', '0', '--pm_schedule', '9-1:5'], flags);
    expect(() => powerConfigFromFlags(v)).toThrow(UsageError);
    expect(() => powerConfigFromFlags(v)).toThrow("--pm_fb_low must be a frequency in Hz > 0 (the sleep after each step is 1000/Hz ms), got 0; --pm_schedule: range '9-1' ends before it starts");
  });
  it('--pm_manual_* make a fixed reading (battery counted as not charging, as the original)', () => {
    expect(manualReadingFromFlags(parseFlags(['--pm_manual_batt', '10', '--pm_manual_temp', '30'], flags))).toEqual({ batteryPct: 10, charging: false, temperatureC: 30 });
    expect(manualReadingFromFlags(parseFlags(['--pm_manual_temp', '50'], flags))).toEqual({ temperatureC: 50 });
    expect(() => manualReadingFromFlags(parseFlags(['--pm_manual_batt', '150'], flags))).toThrow('--pm_manual_batt must be a battery percentage in 0..100, got 150');
  });
});

describe('powerSpec (the job message power block)', () => {
  it('fills every default, so a partial block is a full PowerConfig', () => {
    const spec = powerSpec.parse({ interval: 5, schedule: '0-9:100' });
    expect(powerConfigFromSpec(spec)).toEqual({ ...defaultPowerConfig, interval: 5, schedule: '0-9:100' });
    expect(powerConfigFromSpec(undefined)).toEqual(defaultPowerConfig);
  });
  it('reports validation errors with job field names', () => {
    const r = powerSpec.safeParse({ battThresh: 120, schedule: '0-5:1,3-9:1' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual([
      'power.battThresh must be a battery percentage in 0..100, got 120',
      "power.schedule: ranges '0-5' and '3-9' overlap (steps 3-5)",
    ]);
  });
  it('is the job message\'s power block', () => {
    const withPower = jobMessage;
    const job = {
      type: 'job', protocol: PROTOCOL_VERSION, jobId: 'j', model: { kind: 'random', name: 'tiny', config: {}, initSeed: 1 }, tokenizer: { tokenizerJson: 'u' },
      data: { train: 'u', format: 'lines' },
      train: { mode: 'lora', steps: 1, batchSize: 1, seqLen: 8, gradAccum: 1, lr: 1e-3, warmupSteps: 0, schedule: 'constant', minLrRatio: 0.1, clipGradNorm: 1, weightDecay: 0, seed: 1, evalInterval: 0, evalBatches: 1 },
    };
    expect(withPower.parse(job).power).toBeUndefined();
    expect(withPower.parse({ ...job, power: { interval: 3 } }).power?.fbHigh).toBe(2);
    expect(withPower.safeParse({ ...job, power: { fbLow: -1 } }).success).toBe(false);
  });
});
