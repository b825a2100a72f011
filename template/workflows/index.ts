/** The project's workflows: the module the worker bundles (`workflowsPath`). */
export { bookTrip } from './book-trip';
export type { BookTripInput, BookTripResult } from './book-trip';
