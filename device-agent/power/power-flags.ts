// The power monitor's CLI flags, to merge into the trainer's flag table (`{ ...trainFlags,
// ...powerFlags }`), and their conversion to a validated PowerConfig. Names and defaults are the C++
// original's --pm_* flags (behaviour doc section 1.1) plus --pm_max_sleep_ms (its hard-coded 5000
// cap) and --pm_batt_when_charging. --pm_manual_* have no default here: given, they override live
// telemetry (to reproduce C++ runs); absent, the real readings are used.
import { UsageError, type FlagSpec, type FlagValues } from '../cli/args.js';
import { defaultPowerConfig as d, validatePowerConfig, type PowerConfig } from './power-policy.js';
import type { TelemetryFields } from './telemetry-source.js';

export const powerFlags: Record<string, FlagSpec> = {
  pm_interval: { type: 'int', default: d.interval, help: 'check battery/temperature every N optimizer steps and sleep after each step (0: off; --pm_schedule still applies)' },
  pm_batt_thresh: { type: 'float', default: d.battThresh, help: 'battery % below which the battery rule runs at --pm_fb_low' },
  pm_fb_high: { type: 'float', default: d.fbHigh, help: 'Hz at or above --pm_batt_thresh: sleep 1000/Hz ms after each step (2 = 500 ms)' },
  pm_fb_low: { type: 'float', default: d.fbLow, help: 'Hz below --pm_batt_thresh (0.5 = 2000 ms per step)' },
  pm_temp_thresh: { type: 'float', default: d.tempThresh, help: '°C above which the temperature rule runs at --pm_ft_low (meant for battery/skin; a PC CPU zone runs far hotter)' },
  pm_ft_high: { type: 'float', default: d.ftHigh, help: 'Hz at or below --pm_temp_thresh' },
  pm_ft_low: { type: 'float', default: d.ftLow, help: 'Hz above --pm_temp_thresh' },
  pm_schedule: { type: 'string', help: 'fixed sleeps by step range overriding the policy, e.g. "0-99:300,100-199:200,200-:100" (ms)' },
  pm_disable_batt: { type: 'switch', help: 'ignore the battery rule' },
  pm_disable_temp: { type: 'switch', help: 'ignore the temperature rule' },
  pm_batt_when_charging: { type: 'switch', help: 'apply the battery rule on external power too (default: a plugged-in battery never throttles)' },
  pm_max_sleep_ms: { type: 'int', default: d.maxSleepMs, help: 'upper bound of any sleep after a step, ms' },
  pm_manual_batt: { type: 'float', help: 'fixed battery % instead of live telemetry (the C++ original\'s only source)' },
  pm_manual_temp: { type: 'float', help: 'fixed temperature °C instead of live telemetry' },
};

/** The PowerConfig the --pm_* flags describe; a UsageError naming the flag when they are inconsistent. */
export function powerConfigFromFlags(values: FlagValues): PowerConfig {
  const num = (name: string, def: number) => (typeof values[name] === 'number' ? (values[name] as number) : def);
  const config: PowerConfig = {
    interval: num('pm_interval', d.interval),
    battThresh: num('pm_batt_thresh', d.battThresh),
    fbHigh: num('pm_fb_high', d.fbHigh),
    fbLow: num('pm_fb_low', d.fbLow),
    tempThresh: num('pm_temp_thresh', d.tempThresh),
    ftHigh: num('pm_ft_high', d.ftHigh),
    ftLow: num('pm_ft_low', d.ftLow),
    disableBatt: values.pm_disable_batt === true,
    disableTemp: values.pm_disable_temp === true,
    battIgnoreWhenCharging: values.pm_batt_when_charging !== true,
    maxSleepMs: num('pm_max_sleep_ms', d.maxSleepMs),
    schedule: typeof values.pm_schedule === 'string' ? values.pm_schedule : d.schedule,
    telemetryMaxAgeMs: d.telemetryMaxAgeMs,
  };
  try {
    validatePowerConfig(config, 'flag');
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n').join('; '));
  }
  return config;
}

/** --pm_manual_batt / --pm_manual_temp as a fixed reading, or null when neither is given. */
export function manualReadingFromFlags(values: FlagValues): TelemetryFields | null {
  const out: TelemetryFields = {};
  if (typeof values.pm_manual_batt === 'number') {
    if (values.pm_manual_batt < 0 || values.pm_manual_batt > 100) throw new UsageError(`--pm_manual_batt must be a battery percentage in 0..100, got ${values.pm_manual_batt}`);
    out.batteryPct = values.pm_manual_batt;
    out.charging = false; // the original had no charging notion: a manual level always counts
  }
  if (typeof values.pm_manual_temp === 'number') out.temperatureC = values.pm_manual_temp;
  return Object.keys(out).length > 0 ? out : null;
}
