// Rewrites the command reference in docs/cli.md from the CLI's own help (cmd/cli/docs.ts).
import { readFile, writeFile } from 'node:fs/promises';
import { withReference } from '../cmd/cli/docs.js';

const path = new URL('../docs/cli.md', import.meta.url);
await writeFile(path, withReference(await readFile(path, 'utf8').catch(() => '')));
