// TypeDoc plugin (typedoc.json "plugin"): names each entry point after its package, so the API
// reference shows `@kafka-lambda/core` rather than the path `core/src`.
import { readFileSync } from 'node:fs';
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const match = /^(?:packages\/)?([\w-]+)\/src(?:\/index)?$/.exec(module.name);
      if (!match) continue;
      const manifest = JSON.parse(readFileSync(`packages/${match[1]}/package.json`, 'utf8'));
      module.name = manifest.name;
    }
  });
}
