// Moved to test/helpers/engineTestUtils.ts (shared by several test folders). This re-export only keeps
// branches written before the move compiling; delete it once they are merged.
export * from '../helpers/engineTestUtils.js';
