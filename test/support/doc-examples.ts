/**
 * The request bodies the docs show, for checking them against the API's schemas. Two ways a
 * document shows one:
 *
 * - a `curl` command whose body is one single-quoted argument of `-d`/`--data`/`--data-raw`
 *   (the method is `-X`'s, POST without one; the path is the URL's);
 * - a ```json block right after a line `<!-- request: METHOD /path -->` (an HTML comment, not
 *   shown), for a body written out on its own.
 *
 * A curl command without a body (a GET, `-d @file`) is no example.
 */

export interface RequestExample {
  /** Where it was found: `docs/admin-api.md:42`. */
  where: string;
  method: string;
  /** As written, e.g. `/clients/1/numbers` (no query). */
  path: string;
  /** The body's text. */
  body: string;
}

const MARKER = /^<!--\s*request:\s*([A-Z]+)\s+(\/\S*)\s*-->\s*$/;

/** Lines of `text` with shell continuations (`\` at the end) joined, each with its first line number. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let current: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, index) => {
    const continued = raw.endsWith('\\');
    const part = continued ? raw.slice(0, -1) : raw;
    if (current) current.text += ` ${part.trim()}`;
    else current = { line: index + 1, text: part };
    if (!continued) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

/** The example of one curl command line, or undefined when it sends no inline body. */
function curlExample(command: string, where: string): RequestExample | undefined {
  const body = /(?:^|\s)(?:-d|--data|--data-raw)\s+'([^']*)'/.exec(command)?.[1];
  if (body === undefined) return undefined;
  const method = /(?:^|\s)(?:-X|--request)\s+([A-Z]+)/.exec(command)?.[1] ?? 'POST';
  const url = /https?:\/\/[^\s"']+/.exec(command)?.[0];
  if (!url) return undefined;
  return { where, method, path: new URL(url.replace(/\$\w+/g, 'x')).pathname, body };
}

/** Every curl example in `text`, a shell script or a markdown file (any line holding a curl command). */
export function curlExamples(text: string, source: string): RequestExample[] {
  return logicalLines(text).flatMap(({ line, text: command }) => {
    const at = command.indexOf('curl ');
    if (at < 0 || command.slice(0, at).trim().startsWith('#')) return [];
    const example = curlExample(command.slice(at), `${source}:${line}`);
    return example ? [example] : [];
  });
}

/** Every ```json block of `markdown` marked `<!-- request: METHOD /path -->`. */
export function markedExamples(markdown: string, source: string): RequestExample[] {
  const lines = markdown.split('\n');
  const examples: RequestExample[] = [];
  lines.forEach((line, index) => {
    const marker = MARKER.exec(line.trim());
    if (!marker) return;
    const fence = index + 1;
    if (lines[fence]?.trim() !== '```json')
      throw new Error(`${source}:${index + 1}: a request marker must be followed by a \`\`\`json block`);
    const end = lines.findIndex((l, i) => i > fence && l.trim() === '```');
    examples.push({
      where: `${source}:${fence + 1}`,
      method: marker[1]!,
      path: marker[2]!,
      body: lines.slice(fence + 1, end).join('\n'),
    });
  });
  return examples;
}

/** Both kinds of example in a markdown document. */
export function markdownExamples(markdown: string, source: string): RequestExample[] {
  return [...curlExamples(markdown, source), ...markedExamples(markdown, source)];
}
