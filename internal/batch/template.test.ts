import { describe, expect, it } from 'vitest';
import { renderTemplate, renderText } from './template.js';

describe('renderTemplate (upstream batch_test.go)', () => {
  it('replaces one and several variables, every occurrence', () => {
    expect(renderTemplate('Hi {{name}}', { name: 'Ann' })).toBe('Hi Ann');
    expect(renderTemplate('{{a}}-{{b}}-{{a}}', { a: '1', b: '2' })).toBe('1-2-1');
  });

  it('leaves a missing variable as written, and text without placeholders unchanged', () => {
    expect(renderTemplate('code {{code}}', { name: 'x' })).toBe('code {{code}}');
    expect(renderTemplate('plain text', { name: 'x' })).toBe('plain text');
    expect(renderTemplate('Hi {{name}}', {})).toBe('Hi {{name}}');
  });

  it('does not let {{name}} touch {{username}}', () => {
    expect(renderTemplate('{{username}} / {{name}}', { name: 'N', username: 'U' })).toBe('U / N');
    expect(renderTemplate('{{username}}', { name: 'N' })).toBe('{{username}}');
  });

  it("uses the item's own text before the template", () => {
    expect(renderText('own', 'Hi {{name}}', { name: 'Ann' })).toBe('own');
    expect(renderText('', 'Hi {{name}}', { name: 'Ann' })).toBe('Hi Ann');
  });
});
