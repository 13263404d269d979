import { ImportAction, type ImportEvent, type ImportReport } from './types.js';

/** One line per row: `create client alice`, `skip number 0123: '0123' is not an E.164 number`. */
export function formatEvent(e: ImportEvent): string {
  return `${e.action} ${e.kind} ${e.key}${e.detail ? `: ${e.detail}` : ''}`;
}

/** The closing line: how many rows were (or in a dry run would be) created, updated, left, skipped. */
export function formatSummary(report: ImportReport): string {
  const count = (action: ImportAction) => report.events.filter((e) => e.action === action).length;
  const would = report.dryRun ? 'would ' : '';
  return (
    `summary${report.dryRun ? ' (dry run, nothing written)' : ''}: ${would}create ${count(ImportAction.CREATE)}, ` +
    `${would}update ${count(ImportAction.UPDATE)}, unchanged ${count(ImportAction.UNCHANGED)}, skip ${count(ImportAction.SKIP)}`
  );
}
