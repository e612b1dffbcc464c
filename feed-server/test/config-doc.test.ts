import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_SERVER_CONFIG, SERVER_ENV_VARS, parseServerConfig } from '../src/config.js';
import { ConfigDocError, configDocFiles, readConfigSettings } from '../scripts/config-doc.js';

const root = new URL('../../', import.meta.url);
const configSource = readFileSync(new URL('feed-server/src/config.ts', root), 'utf8');

describe('configuration reference generated from config.ts', () => {
  it('[R50] docs/configuration.md and .env.example are exactly what `npm run docs:config` writes', () => {
    for (const [path, expected] of Object.entries(configDocFiles(configSource, DEFAULT_SERVER_CONFIG))) {
      const committed = readFileSync(new URL(path, root), 'utf8');
      expect(committed, `${path} is stale: run \`npm run docs:config\` and commit the result`).toBe(expected);
    }
  });

  it('[R50] the generated files do not depend on the machine: a default computed at startup is described, not printed', () => {
    const here = configDocFiles(configSource, DEFAULT_SERVER_CONFIG);
    const elsewhere = configDocFiles(configSource, { ...DEFAULT_SERVER_CONFIG, serverId: 'other-host-4242' });
    expect(elsewhere).toEqual(here);
    expect(here['docs/configuration.md']).not.toContain(DEFAULT_SERVER_CONFIG.serverId);
    expect(here['docs/configuration.md']).toMatch(/^\| `SERVER_ID` \| `--server-id` \| hostname-pid \|/m);
  });

  it('[R51] every server variable has one row with its flag, default and meaning, and each flag is one the parser accepts', () => {
    const settings = readConfigSettings(configSource, DEFAULT_SERVER_CONFIG);
    expect(settings.flatMap((s) => s.envNames).sort()).toEqual([...SERVER_ENV_VARS].sort());
    for (const setting of settings) {
      expect(setting.meaning.length, setting.envNames.join()).toBeGreaterThan(10);
      for (const flag of setting.flags) {
        let unknownArgs: string[] = [];
        try {
          ({ unknownArgs } = parseServerConfig({ env: {}, argv: [`${flag}=x`] }));
        } catch (error) {
          // Rejecting the value ('x') means the flag itself was recognised.
          expect(error).toBeInstanceOf(ConfigError);
        }
        expect(unknownArgs, flag).toEqual([]);
      }
    }
    const port = settings.find((s) => s.envNames.includes('PORT'))!;
    expect(port).toMatchObject({ flags: ['--port'], defaultValues: ['3000'], values: 'integer 0–65,535' });
    const tls = settings.find((s) => s.envNames.includes('TLS_KEY'))!;
    expect(tls.envNames).toEqual(['TLS_CERT', 'TLS_KEY']);
  });

  it('[R51] a setting without a doc comment, or whose comment names another variable, stops the generator naming it', () => {
    const uncommented = configSource.replace(/\/\*\* HOST: [^\n]*\n/, '');
    expect(uncommented).not.toBe(configSource);
    expect(() => readConfigSettings(uncommented, DEFAULT_SERVER_CONFIG)).toThrow(ConfigDocError);
    expect(() => readConfigSettings(uncommented, DEFAULT_SERVER_CONFIG)).toThrow(/ServerConfig\.host \(HOST\) needs a one-line doc comment/);

    const misnamed = configSource.replace('/** HOST: ', '/** HOSTNAME: ');
    expect(() => readConfigSettings(misnamed, DEFAULT_SERVER_CONFIG)).toThrow(/names HOSTNAME, but ENV_NAMES says HOST/);

    const unlisted = configSource.replace("  host: 'HOST',\n", '');
    expect(() => readConfigSettings(unlisted, DEFAULT_SERVER_CONFIG)).toThrow(/ServerConfig\.host has no entry in ENV_NAMES/);
  });
});
