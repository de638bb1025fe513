// Every fuzz target, by name.
import { envoyJsonFuzzTarget } from './envoy-json-fuzz-target.js';
import type { FuzzTarget } from './fuzz-target.js';
import { http1FuzzTarget } from './http1-fuzz-target.js';
import { matchFuzzTarget } from './match-fuzz-target.js';
import { protoFuzzTarget } from './proto-fuzz-target.js';
import { tapConfigFuzzTarget } from './tapconfig-fuzz-target.js';

export const FUZZ_TARGETS: ReadonlyArray<FuzzTarget<unknown>> = [matchFuzzTarget, envoyJsonFuzzTarget, protoFuzzTarget, tapConfigFuzzTarget, http1FuzzTarget];
