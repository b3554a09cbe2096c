// What both recording scripts share: the shape an error is recorded in, and client-errors.json,
// which each script updates with its own scenarios, keeping the other's.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RECORDING_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'client-errors.json');

/** The fields of an error as JavaScript sees them (own enumerable keys, plus message and class). */
export function shape(error) {
  if (error === null || error === undefined) return null;
  const out = { class: error.constructor?.name, message: error.message };
  for (const key of Object.keys(error)) if (key !== 'stack' && key !== 'message') out[key] = error[key];
  out.hasIsFatal = Object.hasOwn(error, 'isFatal');
  return out;
}

/**
 * Replaces the scenarios `owns` names with `scenarios` and writes `header` (at the file's root, or
 * under `headerKey`); the other script's scenarios and header stay as they were.
 */
export function saveScenarios({ owns, scenarios, header, headerKey, file = RECORDING_FILE }) {
  const recording = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const kept = Object.fromEntries(Object.entries(recording.scenarios ?? {}).filter(([name]) => !owns(name)));
  if (headerKey) recording[headerKey] = header;
  else Object.assign(recording, header);
  recording.scenarios = { ...kept, ...scenarios };
  fs.writeFileSync(file, `${JSON.stringify(recording, null, 2)}\n`);
  return file;
}
