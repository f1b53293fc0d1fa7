// The job message's optional `power` block (zod): the controller's way to set what the CLI sets
// with --pm_* flags. Field names are PowerConfig's, so a parsed block is a PowerConfig; every field
// has the original's default, so `{ interval: 5 }` is a complete block. Range checks are
// validatePowerConfig's (one set of rules and messages for CLI and protocol), run in superRefine.
import { z } from 'zod';
import { defaultPowerConfig as d, validatePowerConfig, type PowerConfig } from './power-policy.js';

export const powerSpec = z
  .object({
    interval: z.number().int().nonnegative().default(d.interval),
    battThresh: z.number().default(d.battThresh),
    fbHigh: z.number().default(d.fbHigh),
    fbLow: z.number().default(d.fbLow),
    tempThresh: z.number().default(d.tempThresh),
    ftHigh: z.number().default(d.ftHigh),
    ftLow: z.number().default(d.ftLow),
    disableBatt: z.boolean().default(d.disableBatt),
    disableTemp: z.boolean().default(d.disableTemp),
    battIgnoreWhenCharging: z.boolean().default(d.battIgnoreWhenCharging),
    maxSleepMs: z.number().int().nonnegative().default(d.maxSleepMs),
    /** "start-end:ms,start-:ms" over 1-based optimizer steps, as --pm_schedule. */
    schedule: z.string().default(d.schedule),
    /** Controller telemetry older than this counts as missing. */
    telemetryMaxAgeMs: z.number().int().positive().default(d.telemetryMaxAgeMs),
  })
  .superRefine((c, ctx) => {
    try {
      validatePowerConfig(c, 'field');
    } catch (e) {
      for (const message of (e as Error).message.split('\n')) ctx.addIssue({ code: 'custom', message });
    }
  });

export type PowerSpec = z.output<typeof powerSpec>;
export type PowerSpecInput = z.input<typeof powerSpec>;

/** The job's power block as a PowerConfig; no block means the policy is off (interval 0, no schedule). */
export function powerConfigFromSpec(spec: PowerSpec | undefined): PowerConfig {
  return spec ? { ...spec } : { ...d };
}
