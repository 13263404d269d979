/**
 * SMIL presentation for an outbound MMS (OMA MMS Conformance Document §6: one region for
 * images/video, one for text, a <par> per slide). gomsggw's layout is kept (320×480 root, an
 * `Image` region, 5 s slides, upstream §9.4), with a `Text` region added for the text part.
 */

export interface SmilPart {
  /** The name the part is referenced by (its Content-Location). */
  name: string;
  contentType: string;
}

const SLIDE_MS = 5000;

/** Which SMIL element shows a part; undefined for parts SMIL cannot show (e.g. vCard). */
export function smilElement(contentType: string): 'img' | 'video' | 'audio' | 'text' | undefined {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type.startsWith('image/')) return 'img';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  if (type === 'text/plain') return 'text';
  return undefined;
}

/** XML attribute escaping for part names. */
function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A SMIL document with one slide per visual or audio part; the text part (if any) is shown on
 * the first slide, or alone when there is no other part.
 */
export function buildSmil(parts: readonly SmilPart[]): string {
  const text = parts.find((p) => smilElement(p.contentType) === 'text');
  const slides = parts.filter((p) => {
    const element = smilElement(p.contentType);
    return element !== undefined && element !== 'text';
  });
  const body = (slides.length > 0 ? slides : [undefined]).map((part, i) => {
    const lines: string[] = [];
    if (part) {
      const element = smilElement(part.contentType)!;
      const region = element === 'audio' ? '' : ' region="Image"';
      lines.push(`<${element} src="${attr(part.name)}"${region}/>`);
    }
    if (text && i === 0) lines.push(`<text src="${attr(text.name)}" region="Text"/>`);
    return `<par dur="${SLIDE_MS}ms">${lines.join('')}</par>`;
  });
  return [
    '<smil>',
    '<head>',
    '<layout>',
    '<root-layout width="320px" height="480px"/>',
    '<region id="Image" left="0" top="0" width="320px" height="320px" fit="meet"/>',
    '<region id="Text" left="0" top="320" width="320px" height="160px" fit="meet"/>',
    '</layout>',
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</smil>',
  ].join('\r\n');
}
