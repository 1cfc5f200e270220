// The report's stylesheet, inlined into report.html so the file stands alone.
// Not layout logic (report.ts).

export const REPORT_CSS = `
body { font: 15px/1.5 system-ui, sans-serif; color: #1d1d1f; background: #fafafa; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 2rem; }
h1 { font-size: 1.7rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; background: #fff; }
th, td { border: 1px solid #ddd; padding: .35rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f0f3; }
figure { display: inline-block; margin: 1rem 1rem 1rem 0; background: #fff; padding: .5rem; border: 1px solid #e5e5e5; }
figcaption { font-size: .85rem; color: #555; }
pre { background: #fff; border: 1px solid #e5e5e5; padding: 1rem; overflow: auto; }
`;
