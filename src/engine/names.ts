import { randomBytes, randomInt } from 'node:crypto';
import { EngineError } from '../errors/engine-error.js';

/** Docker's container IDs: 64 hex digits, never all digits (a short ID must not parse as a number). */
export function newContainerId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (/[a-f]/.test(id.slice(0, 12))) return id;
  }
}

/** Docker's rule for names given with --name (the leading / is Docker's own prefix). */
const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function checkContainerName(name: string): string {
  if (!NAME.test(name)) {
    throw new EngineError('InvalidArgument', 'INVALID_NAME', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name.slice(1) : name;
}

// Our own word lists (Docker's are its own): adjectives and the names of
// people, places and things of shipping, so a generated name reads like
// "steady_lighthouse".
const ADJECTIVES = [
  'able', 'agile', 'amber', 'brave', 'bright', 'brisk', 'calm', 'clever', 'coastal', 'crisp',
  'daring', 'deep', 'eager', 'early', 'fair', 'fleet', 'gentle', 'glad', 'golden', 'grand',
  'hardy', 'honest', 'keen', 'kind', 'lively', 'loyal', 'lucid', 'mellow', 'merry', 'nimble',
  'noble', 'patient', 'plucky', 'proud', 'quick', 'quiet', 'rapid', 'ready', 'salty', 'serene',
  'sharp', 'silver', 'sleek', 'smooth', 'snug', 'solid', 'steady', 'stout', 'sturdy', 'sunny',
  'swift', 'tidal', 'tidy', 'trusty', 'vivid', 'warm', 'wise', 'witty', 'zealous', 'zesty',
];
const NOUNS = [
  'anchor', 'atoll', 'ballast', 'barge', 'beacon', 'bollard', 'bosun', 'bow', 'breakwater', 'buoy',
  'capstan', 'cargo', 'channel', 'clipper', 'cove', 'crane', 'current', 'cutter', 'dinghy', 'dock',
  'dory', 'ferry', 'fjord', 'galley', 'gangway', 'harbor', 'hawser', 'helm', 'hull', 'inlet',
  'jetty', 'keel', 'ketch', 'lagoon', 'lighthouse', 'lock', 'marina', 'mast', 'mooring', 'navigator',
  'pier', 'pilot', 'port', 'quay', 'raft', 'reef', 'rudder', 'sail', 'schooner', 'shipyard',
  'sloop', 'sound', 'spinnaker', 'starboard', 'stern', 'tide', 'tugboat', 'wharf', 'yacht', 'yardarm',
];

/** A random name not in use; a number is added after many collisions, as Docker does. */
export function generateName(inUse: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const base = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}`;
    const name = attempt < 10 ? base : `${base}${randomInt(10)}`;
    if (!inUse(name)) return name;
  }
}
