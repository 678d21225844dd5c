/**
 * Boards (nämnder) and administrations (förvaltningar): each inferred from the other when a
 * document names only one. Stockholm's convention: X stadsdelsförvaltning serves X
 * stadsdelsnämnd, Xförvaltningen serves Xnämnden, Xkontoret serves Xnämnden.
 */

/** The board an administration serves, and the reverse. */
export function boardFor(administration: string): string | null {
  if (/stadsdelsförvaltning$/u.test(administration)) return administration.replace(/stadsdelsförvaltning$/u, 'stadsdelsnämnd');
  if (/förvaltningen$/u.test(administration)) return administration.replace(/förvaltningen$/u, 'nämnden');
  if (/kontoret$/u.test(administration)) return administration.replace(/kontoret$/u, 'nämnden');
  return null;
}

export function administrationFor(board: string): string | null {
  if (/stadsdelsnämnd$/u.test(board)) return board.replace(/stadsdelsnämnd$/u, 'stadsdelsförvaltning');
  if (/nämnden$/u.test(board)) return board.replace(/nämnden$/u, 'förvaltningen');
  return null;
}

