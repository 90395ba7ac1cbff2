// Every text the console shows goes through textContent: nothing from the API is ever parsed as HTML.

type Props = { className?: string; title?: string; hidden?: boolean; dataset?: Record<string, string> };
type Child = Node | string | number | null | undefined | false;

/** An element with text children (set as text nodes, never markup). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.title) node.title = props.title;
  if (props.hidden) node.hidden = true;
  for (const [key, value] of Object.entries(props.dataset ?? {})) node.dataset[key] = value;
  append(node, children);
  return node;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function setChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`console page has no #${id}`);
  return found as T;
}
