// The cover that hides the page behind a notice: the server cannot be reached past the deadline,
// a sign-out is not confirmed yet, or (in the prebuilt script) a warning is due before the
// dialog's own script arrived. In the main script; the dialog shares its element builder.

/** The class, id and id prefix of the library's elements (the stylesheet's names). */
export const ID = 'session-security';

/**
 * An element with its attributes and children. Built node by node, not from markup: a
 * `require-trusted-types-for 'script'` policy refuses innerHTML.
 */
export const make = (
  tag: string,
  attributes: Record<string, string>,
  ...children: (Node | string)[]
) => {
  const node = document.createElement(tag);
  for (const name in attributes) node.setAttribute(name, attributes[name] as string);
  node.append(...children);
  return node;
};

/** Hides the page behind a notice, `text` (sensitive data must not stay on screen), or shows it again (undefined). */
export function coverPage(text: string | undefined): void {
  let cover = document.getElementById(`${ID}-cover`);
  document.documentElement.classList.toggle(`${ID}-covered`, text !== undefined);
  if (text === undefined) cover?.remove();
  else {
    cover ??= document.body.appendChild(make('div', { id: `${ID}-cover`, role: 'alert' }));
    if (cover.textContent !== text) cover.textContent = text;
  }
}
