// docs/troubleshooting.md as a page of the build (assets/troubleshooting.html), so that the demo's error messages
// link to the fix wherever the page is served, with no CDN and no docs server. Only what that page uses: headings
// (with GitHub's anchors), paragraphs, lists, fenced code, `code`, **bold**, *emphasis* and links. Links to other
// docs of the repository become their file names, since the build carries only this page.

const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** GitHub's heading anchor: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
export function slug(heading) {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

function inline(text) {
  const parts = text.split(/(`[^`]+`)/);
  return parts
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1) return `<code>${escape(part.slice(1, -1))}</code>`;
      return escape(part)
        .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label, href) => {
          if (/^https?:\/\//.test(href)) return `<a href="${href}">${label}</a>`;
          const file = href.split('#')[0];
          return label === file ? `docs/${file}` : `${label} (docs/${file})`;
        })
        .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
        .replace(/\*([^*]+)\*/g, '<em>$1</em>');
    })
    .join('');
}

/** The page's HTML and the anchors of its headings. */
export function renderMarkdown(markdown, title) {
  const html = [];
  const anchors = [];
  let paragraph = [];
  let list = null;
  let code = null;
  const flush = () => {
    if (paragraph.length) html.push(`<p>${inline(paragraph.join(' '))}</p>`);
    paragraph = [];
    if (list) html.push(`<${list.tag}>${list.items.map((item) => `<li>${inline(item)}</li>`).join('')}</${list.tag}>`);
    list = null;
  };
  for (const line of markdown.split('\n')) {
    if (code !== null) {
      if (line.startsWith('```')) {
        html.push(`<pre><code>${escape(code.join('\n'))}</code></pre>`);
        code = null;
      } else code.push(line);
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    const item = /^\s*(-|\d+\.)\s+(.*)$/.exec(line);
    if (line.startsWith('```')) {
      flush();
      code = [];
    } else if (heading) {
      flush();
      const level = heading[1].length;
      const id = slug(heading[2]);
      anchors.push(id);
      html.push(`<h${level} id="${id}">${inline(heading[2])}</h${level}>`);
    } else if (item) {
      if (paragraph.length) flush();
      const tag = item[1] === '-' ? 'ul' : 'ol';
      if (list && list.tag !== tag) flush();
      list ??= { tag, items: [] };
      list.items.push(item[2]);
    } else if (!line.trim()) {
      flush();
    } else if (list && /^\s+/.test(line)) {
      list.items[list.items.length - 1] += ` ${line.trim()}`;
    } else {
      if (list) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title><link rel="icon" href="data:,"><style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1b1b1f}code{background:#f2f2f5;padding:0 0.2rem}pre{overflow-x:auto;background:#f2f2f5;padding:0.5rem}a{color:#0a4f9e}:target{background:#fff3c4}</style></head><body>${html.join('\n')}</body></html>\n`;
  return { page, anchors };
}
