import type { PGlite } from '@electric-sql/pglite';

/**
 * Makes one PGlite instance look like a pg Pool to Kysely's PostgresDialect. PGlite is a single
 * connection, so a connection is an exclusive lease: while a transaction holds it, every other
 * query waits its turn instead of leaking into the open transaction (the defect of kysely-pglite,
 * environment.md §1.4).
 */
export class PGlitePool {
  #tail: Promise<void> = Promise.resolve();
  #ended = false;

  constructor(private readonly pglite: PGlite) {}

  async connect(): Promise<PGliteLease> {
    if (this.#ended) throw new Error('PGlite pool has ended');
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#tail;
    this.#tail = previous.then(() => turn);
    await previous;
    return new PGliteLease(this.pglite, release);
  }

  async end(): Promise<void> {
    this.#ended = true;
    await this.#tail;
    await this.pglite.close();
  }
}

class PGliteLease {
  #released = false;
  constructor(
    private readonly pglite: PGlite,
    private readonly onRelease: () => void,
  ) {}

  async query(sql: string, params: unknown[]): Promise<{ command: string; rowCount: number; rows: unknown[] }> {
    const result = await this.pglite.query(sql, params);
    // PGlite reports no command tag; Kysely only needs it to count affected rows.
    const command = sql.trimStart().split(/\s/, 1)[0]?.toUpperCase() ?? '';
    return { command, rowCount: result.affectedRows ?? 0, rows: result.rows };
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.onRelease();
  }
}
