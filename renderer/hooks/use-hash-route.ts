// Page routing by the URL hash (#/fleet, #/suites, #/live, #/compare, #/reports): in-page, so the
// Electron navigation guard never sees a navigation, and a reload keeps the page. An unknown
// hash shows the Fleet page. No router library: five pages do not need one.
import { useEffect, useState } from 'react';

export const pages = ['fleet', 'suites', 'live', 'compare', 'reports'] as const;
export type Page = (typeof pages)[number];

function current(): Page {
  const h = typeof location === 'undefined' ? '' : location.hash.replace(/^#\/?/, '');
  return (pages as readonly string[]).includes(h) ? (h as Page) : 'fleet';
}

export function useHashRoute(): [Page, (p: Page) => void] {
  const [page, setPage] = useState<Page>(current);
  useEffect(() => {
    const on = () => setPage(current());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return [page, (p) => {
    location.hash = `#/${p}`;
  }];
}
