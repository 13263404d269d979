/** The web room's CarrierWebhooks over the real carrier drivers, exactly as cmd wires it. */
import { carrierWebhooks } from '../../internal/carriers/index.js';
import type { CarrierWebhooks } from '../../internal/web/index.js';

export function registryWebhooks(): CarrierWebhooks {
  return carrierWebhooks();
}
