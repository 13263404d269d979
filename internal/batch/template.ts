/**
 * A batch item's text (upstream §15.1 step 2): its own text when it has one, else the job's
 * template with every `{{key}}` replaced literally by the item's variable of that name. Unknown
 * placeholders stay as written; values are not escaped. Each key is replaced as a whole
 * placeholder, so `{{name}}` never touches `{{username}}`.
 */
export function renderText(ownText: string, template: string, variables: Readonly<Record<string, string>>): string {
  if (ownText !== '') return ownText;
  return renderTemplate(template, variables);
}

/** `template` with each `{{key}}` of `variables` filled in; other text, and unknown keys, as written. */
export function renderTemplate(template: string, variables: Readonly<Record<string, string>>): string {
  if (!template.includes('{{')) return template;
  let text = template;
  for (const [key, value] of Object.entries(variables)) text = text.replaceAll(`{{${key}}}`, value);
  return text;
}
