/**
 * docs/cli.md's command reference, made from the commander program itself so it cannot drift:
 * `npm run docs:cli` rewrites it, and docs.test.ts fails when it differs from the live help.
 */
import type { Command } from 'commander';
import { allCommands, buildProgram } from './program.js';

/** Everything below this line in docs/cli.md is generated. */
export const GENERATED_MARKER = '<!-- Generated from the commander program by `npm run docs:cli`; edit cmd/cli, not below this line. -->';
/** Wide enough for a page, narrow enough for a terminal. */
const DOCS_HELP_WIDTH = 100;

/** What `<command> --help` prints, text added after the help included. */
export function helpText(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

/** The reference part of docs/cli.md: every command's help, parents first. */
export function renderCliReference(): string {
  const program = buildProgram({ helpWidth: DOCS_HELP_WIDTH });
  const sections = allCommands(program)
    .filter(({ command }) => command.name() !== 'help')
    .map(({ name, command }) => `### ${name}\n\n\`\`\`text\n${helpText(command).trimEnd()}\n\`\`\`\n`);
  return `${GENERATED_MARKER}\n\n## Command reference\n\n${sections.join('\n')}`;
}

/** docs/cli.md with its reference part replaced; the hand-written part above the marker is kept. */
export function withReference(current: string): string {
  const at = current.indexOf(GENERATED_MARKER);
  const head = at === -1 ? `${current.trimEnd()}\n\n` : current.slice(0, at);
  return head + renderCliReference();
}
