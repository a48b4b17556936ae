// Grid geometry shared by the grid page and the kiosk.
export const GRID_SIZES = [1, 4, 9, 16] as const;
export type GridSize = (typeof GRID_SIZES)[number];

/** Columns of a square grid of `size` tiles. */
export const columns = (size: number) => Math.round(Math.sqrt(size));

/** The smallest grid that holds `count` cameras (16 at most). */
export const sizeFor = (count: number): GridSize => GRID_SIZES.find((s) => s >= count) ?? 16;

/** `tiles` resized to `size`: kept in order, cut or padded with empty tiles. */
export const resize = (tiles: (string | null)[], size: number) => Array.from({ length: size }, (_, i) => tiles[i] ?? null);
