import pg from 'pg';
import type {
  GomsggwApiKey,
  GomsggwCarrier,
  GomsggwClient,
  GomsggwFailover,
  GomsggwMediaFile,
  GomsggwNumber,
  GomsggwSource,
} from './types.js';

const INT8_OID = 20;
/** Media rows read at once: each holds a whole file (up to a few MB of base64). */
const MEDIA_PAGE_ROWS = 20;
type Row = Record<string, any>;

/**
 * Connects to a gomsggw PostgreSQL database (read only: it runs SELECTs and nothing else).
 * Rejects when the server cannot be reached or refuses the login.
 */
export async function openGomsggwSource(url: string): Promise<GomsggwSource> {
  const client = new pg.Client({
    connectionString: url,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)),
    } as pg.CustomTypesConfig,
  });
  await client.connect();
  return new PgGomsggwSource(client);
}

class PgGomsggwSource implements GomsggwSource {
  private tables: Set<string> | undefined;

  constructor(private readonly client: pg.Client) {}

  async carriers(): Promise<GomsggwCarrier[]> {
    const rows = await this.select('carriers', 'SELECT * FROM carriers ORDER BY id');
    return rows.map((r) => ({
      id: r.id,
      name: text(r.name),
      type: text(r.type),
      username: text(r.username),
      password: text(r.password),
      uuid: text(r.uuid),
      profileId: text(r.profile_id),
    }));
  }

  async clients(): Promise<GomsggwClient[]> {
    const rows = await this.select('clients', 'SELECT * FROM clients ORDER BY id');
    const settings = byKey(await this.select('client_settings', 'SELECT * FROM client_settings'), 'client_id');
    return rows.map((r) => {
      const s = settings.get(r.id);
      return {
        id: r.id,
        username: text(r.username),
        password: text(r.password),
        address: text(r.address),
        name: text(r.name),
        type: text(r.type),
        timezone: text(r.timezone),
        logPrivacy: r.log_privacy === true,
        settings: s
          ? {
              authMethod: text(s.auth_method),
              apiFormat: text(s.api_format),
              webhookRetries: int(s.webhook_retries),
              webhookTimeoutSecs: int(s.webhook_timeout_secs),
              includeRawSegments: s.include_raw_segments === true,
              defaultWebhook: text(s.default_webhook),
              ...limits(s),
            }
          : null,
      };
    });
  }

  async numbers(): Promise<GomsggwNumber[]> {
    const rows = await this.select('client_numbers', 'SELECT * FROM client_numbers ORDER BY id');
    const settings = byKey(await this.select('number_settings', 'SELECT * FROM number_settings'), 'number_id');
    return rows.map((r) => {
      const s = settings.get(r.id);
      return {
        id: r.id,
        clientId: r.client_id,
        number: text(r.number),
        carrier: text(r.carrier),
        tag: text(r.tag),
        group: text(r.group),
        webhook: text(r.web_hook),
        ignoreStopCmdSending: r.ignore_stop_cmd_sending === true,
        settings: s
          ? {
              ...limits(s),
              autoReplyEnabled: s.auto_reply_enabled === true,
              autoReplyMessage: text(s.auto_reply_message),
              autoReplyCooldownSecs: int(s.auto_reply_cooldown_secs),
            }
          : null,
      };
    });
  }

  async failovers(): Promise<GomsggwFailover[]> {
    const rows = await this.select('client_failovers', 'SELECT * FROM client_failovers ORDER BY priority, id');
    return rows.map((r) => ({
      id: r.id,
      primaryClientId: r.primary_client_id,
      fallbackClientId: r.fallback_client_id,
      priority: int(r.priority),
      enabled: r.enabled !== false,
    }));
  }

  async apiKeys(): Promise<GomsggwApiKey[]> {
    const rows = await this.select('tenant_api_keys', 'SELECT * FROM tenant_api_keys ORDER BY id');
    const numbers = await this.select('api_key_numbers', 'SELECT api_key_id, number_id FROM api_key_numbers ORDER BY id');
    return rows.map((r) => ({
      id: r.id,
      clientId: r.client_id,
      name: text(r.name),
      keyHash: text(r.key_hash),
      keyPrefix: text(r.key_prefix),
      scopes: text(r.scopes),
      rateLimit: int(r.rate_limit),
      active: r.active !== false,
      expiresAt: r.expires_at ?? null,
      lastUsedAt: r.last_used_at ?? null,
      numberIds: numbers.filter((n) => n.api_key_id === r.id).map((n) => n.number_id as number),
    }));
  }

  async *media(): AsyncIterable<GomsggwMediaFile> {
    // Whole files live in base64_data: read a page at a time rather than the table at once.
    for (let after = 0; ;) {
      const rows = await this.select('media_files', `SELECT * FROM media_files WHERE id > ${after} ORDER BY id LIMIT ${MEDIA_PAGE_ROWS}`);
      for (const r of rows) {
        yield {
          id: r.id,
          token: text(r.access_token),
          fileName: text(r.file_name),
          contentType: text(r.content_type),
          base64Data: text(r.base64_data),
          uploadAt: r.upload_at,
          expiresAt: r.expires_at,
        };
      }
      if (rows.length < MEDIA_PAGE_ROWS) return;
      after = rows[rows.length - 1]!.id as number;
    }
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  private async select(table: string, query: string): Promise<Row[]> {
    this.tables ??= new Set(
      (await this.client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()')).rows.map(
        (r: Row) => r.table_name as string,
      ),
    );
    if (!this.tables.has(table)) return [];
    return (await this.client.query(query)).rows;
  }
}

// GORM leaves columns without a default NULL; gomsggw read NULL as the zero value.
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function int(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function limits(r: Row) {
  return {
    smsBurstLimit: int(r.sms_burst_limit),
    smsDailyLimit: int(r.sms_daily_limit),
    smsMonthlyLimit: int(r.sms_monthly_limit),
    mmsBurstLimit: int(r.mms_burst_limit),
    mmsDailyLimit: int(r.mms_daily_limit),
    mmsMonthlyLimit: int(r.mms_monthly_limit),
    limitBoth: r.limit_both === true,
  };
}

function byKey(rows: Row[], column: string): Map<number, Row> {
  return new Map(rows.map((r) => [r[column] as number, r]));
}
