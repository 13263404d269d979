import {
  OperationNodeTransformer,
  PrimitiveValueListNode,
  ValueNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

/**
 * PostgreSQL refuses U+0000 in text and json (22021 / 22P05), and a lone UTF-16 surrogate in
 * json (22P05): one such character fails the whole statement. Entry points clean text as it enters;
 * the store does so again, so a value that slipped through is stored without it instead of
 * failing a write (and every write batched with it) for ever.
 */

/** `value` without U+0000; strings inside arrays and plain objects (json columns) too. */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replaceAll('\u0000', '') : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T;
  }
  return value;
}

/**
 * An escaped U+0000 or lone surrogate in JSON text, after an even run of backslashes (an odd
 * one would make the `\u` a literal backslash and 'u'). JSON.stringify writes a lone surrogate
 * as a \udXXX escape and a paired one as the character itself, so every \ud8xx-\udfxx escape
 * it wrote is lone.
 */
const JSON_REFUSED_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(0000|d[89a-f][0-9a-f]{2})/g;

/**
 * JSON text (as JSON.stringify wrote it) that PostgreSQL's json accepts: escaped U+0000 removed,
 * escaped lone surrogates replaced by U+FFFD. Costs one scan when there is nothing to clean.
 */
export function jsonForPostgres(json: string): string {
  if (!json.includes('\\u0000') && !json.includes('\\ud')) return json;
  return json.replace(JSON_REFUSED_ESCAPE, (_, backslashes: string, code: string) =>
    code === '0000' ? backslashes : `${backslashes}\\ufffd`,
  );
}

class NulTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const value = withoutNul(node.value);
    if (value === node.value) return node;
    return node.immediate ? ValueNode.createImmediate(value) : ValueNode.create(value);
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return PrimitiveValueListNode.create(node.values.map(withoutNul));
  }
}

/** Strips U+0000 from every value a Kysely-built query binds (raw CompiledQuery text is not seen). */
export class StripNulPlugin implements KyselyPlugin {
  readonly #transformer = new NulTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
