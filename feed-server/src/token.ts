import { ConfigError, loadServerConfig } from './config.js';
import { DEV_TOKEN_USAGE, mintDevToken, parseDevTokenArgs } from './auth/dev-token.js';

/**
 * `npm run token`: mints a development access token with the configured
 * AUTH_JWT_SECRET (and AUTH_ISSUER / AUTH_AUDIENCE), printed alone on stdout.
 */
async function main(): Promise<void> {
  let request;
  let config;
  try {
    request = parseDevTokenArgs(process.argv.slice(2));
    config = loadServerConfig({ env: process.env });
  } catch (error) {
    const prefix = error instanceof ConfigError ? '' : `${DEV_TOKEN_USAGE}\n`;
    process.stderr.write(`${prefix}token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  if (config.authJwtSecret === undefined) {
    process.stderr.write('token: AUTH_JWT_SECRET is not set; development tokens are signed with the server\'s HS256 secret\n');
    process.exit(2);
  }
  const nowSec = Math.floor(Date.now() / 1000);
  const token = await mintDevToken(request, { secret: config.authJwtSecret, issuer: config.authIssuer, audience: config.authAudience }, nowSec);
  process.stderr.write(`token for ${request.sub}: symbols ${request.symbols.join(',') || '(none)'}, expires ${new Date((nowSec + request.ttlSec) * 1000).toISOString()}\n`);
  process.stdout.write(`${token}\n`);
}

void main();
