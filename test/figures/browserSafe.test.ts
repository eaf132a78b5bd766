// The figure code is shared with the browser app: only png.ts may touch Node or pngjs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '../../src/figures');

describe('browser safety', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'png.ts');
  it.each(files)('%s uses no Node API', (file) => {
    const src = readFileSync(join(dir, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    for (const m of src.matchAll(/from\s+'([^']+)'/g)) expect(m[1]).toMatch(/^\.\.?\//);
    expect(src).not.toMatch(/\bBuffer\b|\bprocess\.|\brequire\(|pngjs/);
    expect(src).not.toMatch(/from '\.\/png(\.ts)?'/);
  });
});
