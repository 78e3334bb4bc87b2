// SPDX-License-Identifier: MIT
// Number, unit and time formatting for the dashboard. A missing value (JSON null) is a dash, never
// a zero.
export const DASH = '\u2013';

export function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

export function fmt(v, digits) {
  if (!isNum(v)) return DASH;
  return v.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits});
}

// Two or three significant digits, whatever the magnitude: 0.42, 4.2, 42, 420.
export function fmtAuto(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  return fmt(v, a >= 100 || Number.isInteger(v) ? 0 : a >= 10 ? 1 : 2);
}

export function fmtCount(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a >= 1e9) return fmt(v / 1e9, 2) + ' G';
  if (a >= 1e6) return fmt(v / 1e6, 2) + ' M';
  return fmt(v, Number.isInteger(v) ? 0 : 1);
}

export function fmtBytes(v) {
  if (!isNum(v)) return DASH;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return fmt(v, i === 0 ? 0 : 1) + ' ' + units[i];
}

export function fmtTrend(v) {
  if (!isNum(v)) return DASH;
  if (v === 0) return '0 %';
  return (v > 0 ? '+' : '\u2212') + fmt(Math.abs(v), 1) + ' %';
}

export function fmtTime(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString('en-GB') : d.toLocaleString('en-GB');
}

export function clock(epoch, seconds) {
  const d = new Date(epoch * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + (seconds ? ':' + pad(d.getSeconds()) : '');
}
