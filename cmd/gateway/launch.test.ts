import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from './launch.js';

describe('the flags production starts node with', () => {
  it('are those of npm start and of the image', () => {
    const start = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string;
    expect(start).toContain(`node ${GATEWAY_NODE_FLAGS.join(' ')} dist/cmd/gateway/main.js`);
    const cmd = readFileSync('deploy/Dockerfile', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('CMD ['))!;
    expect(JSON.parse(cmd.slice(4))).toEqual(['node', ...GATEWAY_NODE_FLAGS, 'dist/cmd/gateway/main.js']);
  });
});
