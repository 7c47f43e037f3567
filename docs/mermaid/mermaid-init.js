// Renders the guide's ```mermaid blocks (mdbook-mermaid turns them into
// <pre class="mermaid">) with mermaid.min.js, in a theme that matches the
// book's: mdBook puts its theme's name on <html>.
(() => {
  const dark = ['ayu', 'navy', 'coal'];
  const html = document.documentElement;
  const isDark = () => dark.some((t) => html.classList.contains(t));
  mermaid.initialize({ startOnLoad: true, theme: isDark() ? 'dark' : 'default' });
  // A diagram is drawn once; after a change of theme, draw the page again.
  const wasDark = isDark();
  new MutationObserver(() => {
    if (isDark() !== wasDark) window.location.reload();
  }).observe(html, { attributes: true, attributeFilter: ['class'] });
})();
