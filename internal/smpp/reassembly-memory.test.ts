import { describeReassembler } from '../../test/conformance/reassembler.js';
import { MemoryReassembler } from './reassembly-memory.js';

describeReassembler('MemoryReassembler', () => ({ newReassembler: (opts) => new MemoryReassembler(opts) }));
