/*
 * The configuration reference (docs/configuration.md) and .env.example, made
 * from feed-server/src/config.ts so the settings are written once: the
 * variable names come from ENV_NAMES, the defaults from DEFAULT_SERVER_CONFIG,
 * the accepted ranges from parseServerConfig's int() calls, and each meaning
 * from the doc comment on its ServerConfig field. The source is read with the
 * TypeScript parser (no type checker: one file, a few milliseconds), so
 * config.ts keeps its shape and its comments stay the one place to edit.
 *
 * The output depends only on the source text and the defaults' values; a
 * default computed when the server starts (SERVER_ID's hostname-pid) is
 * described by its doc comment, not printed, so the files are the same on
 * every machine.
 */
import ts from 'typescript';

export interface ConfigSetting {
  /** ServerConfig keys documented by one comment (TLS_CERT / TLS_KEY share one). */
  readonly keys: readonly string[];
  readonly envNames: readonly string[];
  readonly flags: readonly string[];
  /** Each variable's default as written in .env.example; undefined when it is unset by default or computed at startup. */
  readonly defaultValues: readonly (string | undefined)[];
  /** Default for the reader: the value, "unset", or the doc comment's words for a computed one. */
  readonly defaultText: string;
  readonly values: string;
  readonly meaning: string;
}

export interface ConfigDocFiles {
  readonly 'docs/configuration.md': string;
  readonly '.env.example': string;
}

export class ConfigDocError extends Error {
  override readonly name = 'ConfigDocError';
}

/** The generated files, keyed by their path from the repository root. */
export function configDocFiles(source: string, defaults: object): ConfigDocFiles {
  const settings = readConfigSettings(source, defaults);
  return { 'docs/configuration.md': renderMarkdown(settings), '.env.example': renderEnvExample(settings) };
}

/** Flags are the kebab-case of the ServerConfig key (config.ts's readFlags). */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function readConfigSettings(source: string, defaultConfig: object): ConfigSetting[] {
  const defaults = new Map(Object.entries(defaultConfig));
  const file = ts.createSourceFile('config.ts', source, ts.ScriptTarget.ES2022, true);
  const fields = serverConfigFields(file);
  const envNames = stringRecord(objectLiteralOf(file, 'ENV_NAMES'), 'ENV_NAMES');
  const defaultExprs = new Map(propertiesOf(objectLiteralOf(file, 'DEFAULT_SERVER_CONFIG'), 'DEFAULT_SERVER_CONFIG'));
  const ranges = intRanges(file);
  const aliases = stringUnionAliases(file);

  const fieldKeys = new Set(fields.map((f) => f.key));
  for (const key of envNames.keys()) {
    if (!fieldKeys.has(key)) throw new ConfigDocError(`ENV_NAMES.${key} is not a ServerConfig field`);
  }

  const groups: { comment: string; fields: Field[] }[] = [];
  for (const field of fields) {
    if (!envNames.has(field.key)) throw new ConfigDocError(`ServerConfig.${field.key} has no entry in ENV_NAMES`);
    if (!defaultExprs.has(field.key) || !defaults.has(field.key)) {
      throw new ConfigDocError(`ServerConfig.${field.key} has no entry in DEFAULT_SERVER_CONFIG`);
    }
    if (field.comment !== undefined) groups.push({ comment: field.comment, fields: [field] });
    else if (groups.length > 0 && namedIn(groups[groups.length - 1]!.comment).includes(envNames.get(field.key)!)) {
      groups[groups.length - 1]!.fields.push(field);
    } else {
      throw new ConfigDocError(`ServerConfig.${field.key} (${envNames.get(field.key)}) needs a one-line doc comment: /** ${envNames.get(field.key)}: what it does (default …). */`);
    }
  }

  return groups.map(({ comment, fields: group }) => {
    const keys = group.map((f) => f.key);
    const names = keys.map((k) => envNames.get(k)!);
    const named = namedIn(comment);
    if (named.length > 0 && named.join(',') !== names.join(',')) {
      throw new ConfigDocError(`the doc comment of ServerConfig.${keys[0]} names ${named.join(' / ')}, but ENV_NAMES says ${names.join(' / ')}`);
    }
    const statedDefault = /\(default ([^;)]+)/.exec(comment)?.[1]?.trim();
    const computed = keys.map((k) => isComputed(defaultExprs.get(k)!));
    const defaultValues = keys.map((k, i) => (computed[i] ? undefined : envText(defaults.get(k))));
    const texts = defaultValues.map((v, i) => (computed[i] ? (statedDefault ?? 'set at startup') : v === undefined ? 'unset' : `\`${v}\``));
    return {
      keys,
      envNames: names,
      flags: keys.map(flagOf),
      defaultValues,
      defaultText: [...new Set(texts)].join(' / '),
      values: [...new Set(group.map((f) => valuesOf(f, ranges.get(f.key), aliases)))].join(' / '),
      meaning: comment.replace(/^[A-Z0-9_]+(?:\s*\/\s*[A-Z0-9_]+)*:\s*/, ''),
    };
  });
}

interface Field {
  readonly key: string;
  readonly comment: string | undefined;
  readonly type: ts.TypeNode | undefined;
}

function serverConfigFields(file: ts.SourceFile): Field[] {
  const decl = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'ServerConfig');
  if (decl === undefined) throw new ConfigDocError('config.ts has no ServerConfig interface');
  return decl.members.filter(ts.isPropertySignature).map((member) => ({
    key: member.name.getText(file),
    comment: docComment(member),
    type: member.type,
  }));
}

function docComment(node: ts.Node): string | undefined {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc;
  const text = docs?.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join(' ').trim();
  return text === undefined || text === '' ? undefined : text.replace(/\s+/g, ' ');
}

/** Variables a comment names before its colon: `TLS_CERT / TLS_KEY: …` → both. */
function namedIn(comment: string): string[] {
  const prefix = /^([A-Z0-9_]+(?:\s*\/\s*[A-Z0-9_]+)*):/.exec(comment)?.[1];
  return prefix === undefined ? [] : prefix.split('/').map((n) => n.trim());
}

function objectLiteralOf(file: ts.SourceFile, name: string): ts.ObjectLiteralExpression {
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (!ts.isIdentifier(decl.name) || decl.name.text !== name || decl.initializer === undefined) continue;
      let init: ts.Expression = decl.initializer;
      // DEFAULT_SERVER_CONFIG is Object.freeze({ … }).
      if (ts.isCallExpression(init) && init.arguments.length === 1) init = init.arguments[0]!;
      if (ts.isObjectLiteralExpression(init)) return init;
    }
  }
  throw new ConfigDocError(`config.ts has no object literal ${name}`);
}

function propertiesOf(literal: ts.ObjectLiteralExpression, owner: string): [string, ts.Expression][] {
  return literal.properties.map((p) => {
    if (!ts.isPropertyAssignment(p)) throw new ConfigDocError(`${owner}: every entry must be written key: value`);
    return [p.name.getText(), p.initializer];
  });
}

function stringRecord(literal: ts.ObjectLiteralExpression, owner: string): Map<string, string> {
  return new Map(
    propertiesOf(literal, owner).map(([key, value]) => {
      if (!ts.isStringLiteralLike(value)) throw new ConfigDocError(`${owner}.${key} must be a string literal`);
      return [key, value.text];
    }),
  );
}

/** A default that is a call or a template with substitutions differs per machine or process. */
function isComputed(expr: ts.Expression): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node) || ts.isTemplateExpression(node)) found = true;
    else ts.forEachChild(node, visit);
  };
  visit(expr);
  return found;
}

/** `int('key', fallback, min, max)` calls in parseServerConfig: the accepted range of each integer setting. */
function intRanges(file: ts.SourceFile): Map<string, { min: number; max: number }> {
  const ranges = new Map<string, { min: number; max: number }>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'int' && node.arguments.length === 4) {
      const [key, , min, max] = node.arguments;
      if (key !== undefined && ts.isStringLiteralLike(key) && min !== undefined && max !== undefined && ts.isNumericLiteral(min) && ts.isNumericLiteral(max)) {
        ranges.set(key.text, { min: Number(min.text), max: Number(max.text) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return ranges;
}

/** Local type aliases that are unions of string literals (LogLevel, SlowConsumerPolicy). */
function stringUnionAliases(file: ts.SourceFile): Map<string, string[]> {
  const aliases = new Map<string, string[]>();
  for (const s of file.statements) {
    if (!ts.isTypeAliasDeclaration(s) || !ts.isUnionTypeNode(s.type)) continue;
    const members = s.type.types.map((t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : undefined));
    if (members.every((m): m is string => m !== undefined)) aliases.set(s.name.text, members);
  }
  return aliases;
}

function valuesOf(field: Field, range: { min: number; max: number } | undefined, aliases: Map<string, string[]>): string {
  const type = field.type;
  if (type === undefined) return '';
  const parts = ts.isUnionTypeNode(type) ? type.types.filter((t) => t.kind !== ts.SyntaxKind.UndefinedKeyword) : [type];
  const only = parts.length === 1 ? parts[0]! : undefined;
  if (only === undefined) return '';
  if (only.kind === ts.SyntaxKind.NumberKeyword) return range === undefined ? 'number' : `integer ${group(range.min)}–${group(range.max)}`;
  if (only.kind === ts.SyntaxKind.BooleanKeyword) return '`true` or `false`';
  if (only.kind === ts.SyntaxKind.StringKeyword) return 'text';
  if (ts.isTypeOperatorNode(only) && ts.isArrayTypeNode(only.type)) return 'comma-separated list';
  if (ts.isArrayTypeNode(only)) return 'comma-separated list';
  if (ts.isTypeReferenceNode(only) && ts.isIdentifier(only.typeName)) {
    const members = aliases.get(only.typeName.text);
    if (members !== undefined) return members.map((m) => `\`${m}\``).join(', ');
  }
  return '';
}

function group(n: number): string {
  return n.toLocaleString('en-US');
}

/** A default as an environment value; undefined when the setting is unset by default. */
function envText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(',');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConfigDocError(`a default of type ${typeof value} cannot be written as an environment value`);
}

const GENERATED = 'Generated by `npm run docs:config` from feed-server/src/config.ts; edit the doc comments there, not this file.';

function renderMarkdown(settings: readonly ConfigSetting[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const rows = settings.map((s) =>
    [
      s.envNames.map((n) => `\`${n}\``).join(' / '),
      s.flags.map((f) => `\`${f}\``).join(' / '),
      s.defaultText,
      s.values,
      s.meaning,
    ]
      .map(cell)
      .join(' | '),
  );
  return [
    `<!-- ${GENERATED} -->`,
    '',
    '# Configuration',
    '',
    'The feed server reads its environment and flags once, in [feed-server/src/config.ts](../feed-server/src/config.ts); nothing else reads the environment. A flag wins over its variable (`--flush-interval-ms 10` or `--flush-interval-ms=10` is `FLUSH_INTERVAL_MS=10`). A bad value stops the server with a message naming the variable or flag. Every variable is optional. [.env.example](../.env.example) lists the same settings with their defaults.',
    '',
    '`npm start` passes its flags to this parser too, and serves the built dashboard when `DASHBOARD_DIR` is unset ([launcher](../launcher/README.md)). What the limits do when they are hit: [feed-server/README.md](../feed-server/README.md#limits-and-the-slow-consumer-policy).',
    '',
    '| variable | flag | default | values | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r} |`),
    '',
  ].join('\n');
}

function renderEnvExample(settings: readonly ConfigSetting[]): string {
  const lines = [
    `# Feed server settings. ${GENERATED}`,
    '# Every variable is optional: an active line shows the default, a commented-out one has none.',
    '# Flags override them (--port 8080). The full table: docs/configuration.md',
  ];
  for (const s of settings) {
    lines.push('', `# ${s.envNames.join(' / ')}: ${s.meaning}`);
    s.envNames.forEach((name, i) => {
      const value = s.defaultValues[i];
      lines.push(value === undefined ? `# ${name}=` : `${name}=${value}`);
    });
  }
  return `${lines.join('\n')}\n`;
}
