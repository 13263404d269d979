/**
 * Writes kannel.conf for test/support/kannel.ts: Kannel 1.4.5 as an SMPP ESME with a sendsms
 * user, a catch-all MO service pointing at the test's HTTP sink, and logs in the instance's dir.
 * Why each setting is what it is: docs/testing-peers.md.
 */
import { join } from 'node:path';

/** How Kannel binds: one bind_transceiver, only a transmitter or receiver, or one of each. */
export type KannelBindMode = 'transceiver' | 'transmitter' | 'receiver' | 'transmitter+receiver';

export interface KannelOptions {
  smppHost: string;
  smppPort: number;
  systemId: string;
  password: string;
  /** Default 'transceiver'. */
  mode?: KannelBindMode;
  systemType?: string;
  /** bind interface_version: 0x34 (default) or 0x33. */
  interfaceVersion?: 0x33 | 0x34;
  /** Kannel's name for the connection (`%i`, status page). Default 'gw'. */
  smscId?: string;
  /** Seconds between enquire_links. Default 5: a dead link shows within one test. */
  enquireLinkIntervalSec?: number;
  /** Seconds before a re-bind after the link drops. Default 1. */
  reconnectDelaySec?: number;
  /** Kannel's submit window (unacknowledged submit_sm). Default 10, Kannel's own default. */
  maxPendingSubmits?: number;
  /** Seconds Kannel waits for a submit_sm_resp before it gives up on the link. Default 60. */
  waitAckSec?: number;
  /**
   * How Kannel reads message ids (bit 0: submit_sm_resp, bit 1: deliver_sm; set = hex, clear =
   * decimal, both converted to a decimal number before the DLR lookup). Default: unset, so ids are
   * compared as the literal strings the SMSC sent, which is what SMPP 3.4 says and what a gateway
   * with non-numeric ids needs. 0x00 etc. only for SMSCs that mix hex and decimal.
   */
  msgIdType?: 0 | 1 | 2 | 3;
  /** TON/NPI Kannel puts on submit_sm. Defaults: source 1/1 with autodetect (alphanumeric → 5/0), dest 1/1. */
  sourceAddrTon?: number;
  sourceAddrNpi?: number;
  sourceAddrAutodetect?: boolean;
  destAddrTon?: number;
  destAddrNpi?: number;
  /** bearerbox joins UDH-concatenated MO parts before the get-url call. Default true (Kannel's default). */
  combineConcatenatedMo?: boolean;
  /** File log level for all boxes: 0 debug (PDU dumps) … 4 panic. Default 0: tests are short. */
  logLevel?: 0 | 1 | 2 | 3 | 4;
  /** More `key = value` lines for the smsc group (Kannel spelling), e.g. { 'throughput': 50 }. */
  extraSmscConfig?: Record<string, string | number | boolean>;
  /** Leave the temp dir (config and logs) in place after stop(), for debugging. */
  keepDir?: boolean;
  /**
   * bearerbox's message store: none (default; queued messages live only in memory), `file` (one
   * append-only file) or `spool` (a file a message). Benchmarks use spool, as field-notes.md did.
   */
  store?: 'file' | 'spool';
}

/** Loopback ports of one Kannel instance. */
export interface KannelPorts {
  admin: number;
  smsbox: number;
  sendsms: number;
}

/** Passwords of one Kannel instance (random per instance). */
export interface KannelSecrets {
  admin: string;
  status: string;
  user: string;
  password: string;
}

type ConfValue = string | number | boolean;

function group(name: string, entries: Record<string, ConfValue | undefined>): string {
  const lines = Object.entries(entries).flatMap(([k, v]) => (v === undefined ? [] : [`${k} = ${confValue(k, v)}`]));
  return [`group = ${name}`, ...lines].join('\n');
}

function confValue(key: string, v: ConfValue): string {
  if (typeof v !== 'string') return String(v);
  if (/["\n\\]/.test(v)) throw new Error(`kannel.conf value for ${key} may not contain quotes, backslashes or newlines`);
  return `"${v}"`;
}

/**
 * Kannel's smpp ports: `port` transmits (or binds transceiver), `receive-port` receives. One group
 * may not have both (bearerbox 1.4.5 panics), so separate binds are two groups with one smsc-id.
 */
function bindPorts(mode: KannelBindMode, port: number): Array<Record<string, ConfValue>> {
  switch (mode) {
    case 'transceiver':
      return [{ port, 'transceiver-mode': true }];
    case 'transmitter':
      return [{ port }];
    case 'receiver':
      return [{ port: 0, 'receive-port': port }];
    case 'transmitter+receiver':
      return [{ port }, { port: 0, 'receive-port': port }];
  }
}

/** The whole kannel.conf: core, the smsc group(s), smsbox, one sendsms user, one catch-all service. */
export function kannelConf(o: KannelOptions, dir: string, ports: KannelPorts, secrets: KannelSecrets, sinkUrl: string): string {
  const log = (name: string): string => join(dir, name);
  const logLevel = o.logLevel ?? 0;
  const core = group('core', {
    'admin-port': ports.admin,
    'admin-password': secrets.admin,
    'status-password': secrets.status,
    'admin-allow-ip': '127.0.0.1',
    'admin-deny-ip': '*.*.*.*',
    'smsbox-port': ports.smsbox,
    'box-allow-ip': '127.0.0.1',
    'box-deny-ip': '*.*.*.*',
    'log-file': log('bearerbox.log'),
    'log-level': logLevel,
    'access-log': log('access.log'),
    'dlr-storage': 'internal',
    'store-type': o.store,
    'store-location': o.store ? log(o.store === 'spool' ? 'spool' : 'store') : undefined,
    'sms-combine-concatenated-mo': o.combineConcatenatedMo ?? true,
    // A temporarily failed submit (ESME_RTHROTTLED, ESME_RMSGQFUL) is retried after this many s.
    'sms-resend-freq': 2,
  });
  const smscs = bindPorts(o.mode ?? 'transceiver', o.smppPort).map((ports) =>
    group('smsc', {
      smsc: 'smpp',
      'smsc-id': o.smscId ?? 'gw',
      host: o.smppHost,
      ...ports,
      'smsc-username': o.systemId,
      'smsc-password': o.password,
      'system-type': o.systemType ?? '',
      'interface-version': (o.interfaceVersion ?? 0x34).toString(16),
      'address-range': '',
      'source-addr-ton': o.sourceAddrTon ?? 1,
      'source-addr-npi': o.sourceAddrNpi ?? 1,
      'source-addr-autodetect': o.sourceAddrAutodetect ?? true,
      'dest-addr-ton': o.destAddrTon ?? 1,
      'dest-addr-npi': o.destAddrNpi ?? 1,
      'enquire-link-interval': o.enquireLinkIntervalSec ?? 5,
      'reconnect-delay': o.reconnectDelaySec ?? 1,
      'max-pending-submits': o.maxPendingSubmits ?? 10,
      'wait-ack': o.waitAckSec ?? 60,
      'msg-id-type': o.msgIdType === undefined ? undefined : `0x0${o.msgIdType}`,
      'log-file': log('smsc.log'),
      'log-level': logLevel,
      ...o.extraSmscConfig,
    }),
  );
  const smsbox = group('smsbox', {
    'bearerbox-host': '127.0.0.1',
    'bearerbox-port': ports.smsbox,
    'sendsms-port': ports.sendsms,
    'sendsms-interface': '127.0.0.1',
    'log-file': log('smsbox.log'),
    'log-level': logLevel,
    'access-log': log('smsbox-access.log'),
  });
  // max-messages = 10 + concatenation: Kannel splits long texts into up to 10 UDH parts (the
  // default of 1 would truncate them).
  const user = group('sendsms-user', {
    username: secrets.user,
    password: secrets.password,
    'max-messages': 10,
    concatenation: true,
    'user-allow-ip': '127.0.0.1',
  });
  // %b: the message bytes as received (no word squeezing); %c coding; %C charset; %u UDH.
  const service = group('sms-service', {
    keyword: 'default',
    'catch-all': true,
    'get-url': `${sinkUrl}/mo?from=%p&to=%P&text=%b&coding=%c&charset=%C&udh=%u&smsc=%i&meta=%D`,
    'max-messages': 0,
    'omit-empty': true,
  });
  return `${[core, ...smscs, smsbox, user, service].join('\n\n')}\n`;
}
