// Downloads of signed links: an anchor with `download`, clicked, so the browser saves the
// server's attachment instead of navigating away from the console.

/**
 * The signed link's path and query on the console's own origin: the API that serves the console
 * serves the export too, while the link's host is the API's public address, which may be another
 * name for it (a proxy in front, or the development server that proxies /exports).
 */
export function sameOrigin(link: string, origin: string = window.location.origin): string {
  const url = new URL(link, origin);
  return new URL(`${url.pathname}${url.search}`, origin).toString();
}

export function download(link: string): void {
  const anchor = document.createElement("a");
  anchor.href = sameOrigin(link);
  anchor.download = "";
  anchor.rel = "noopener";
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}
