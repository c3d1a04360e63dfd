import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
// The browser test's resolver: CHROMIUM_PATH, an installed Chrome/Chromium/Edge, or the npm one.
import { resolveChromium } from "../../apps/miniapp/e2e/helpers/chromium-executable.ts";

export interface Bar {
  label: string;
  value: number;
  /** Drawn in the accent colour: this project's server. */
  highlight: boolean;
  note: string;
}

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Horizontal bars, one per server, scaled to the largest value; plain SVG, no chart library. */
export function barChartSvg(title: string, subtitle: string, bars: Bar[]): string {
  const width = 1000;
  const labelWidth = 290;
  const barArea = width - labelWidth - 330;
  const rowHeight = 46;
  const top = 84;
  const height = top + bars.length * rowHeight + 30;
  const max = Math.max(...bars.map((bar) => bar.value), 1);
  const rows = bars
    .map((bar, index) => {
      const y = top + index * rowHeight;
      const barWidth = Math.max(2, (bar.value / max) * barArea);
      return `
  <text x="${labelWidth - 12}" y="${y + 22}" text-anchor="end" class="label">${escape(bar.label)}</text>
  <rect x="${labelWidth}" y="${y + 6}" width="${barWidth.toFixed(1)}" height="26" rx="3" fill="${bar.highlight ? "#d9480f" : "#4c6ef5"}"/>
  <text x="${labelWidth + barWidth + 8}" y="${y + 24}" class="value">${Math.round(bar.value).toLocaleString("en-US")} req/s</text>
  <text x="${labelWidth + barWidth + 8}" y="${y + 40}" class="note">${escape(bar.note)}</text>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
  <style>
    text { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; fill: #212529; }
    .title { font-size: 20px; font-weight: bold; }
    .subtitle { font-size: 13px; fill: #495057; }
    .label { font-size: 15px; }
    .value { font-size: 14px; font-weight: bold; }
    .note { font-size: 11px; fill: #495057; }
  </style>
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="20" y="32" class="title">${escape(title)}</text>
  <text x="20" y="56" class="subtitle">${escape(subtitle)}</text>${rows}
</svg>`;
}

/** Rasterises the SVG with headless Chromium (playwright-core); no native canvas dependency. */
export async function renderPng(svg: string, file: string): Promise<string> {
  const resolved = await resolveChromium();
  const userDataDir = mkdtempSync(path.join(tmpdir(), "mp-auth-bench-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: resolved.executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    deviceScaleFactor: 1,
  });
  try {
    const page = await context.newPage();
    await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`);
    await page.locator("svg").screenshot({ path: file });
    return resolved.source;
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
