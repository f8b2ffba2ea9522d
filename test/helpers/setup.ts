// Runs before every test file: nothing global to set up yet beyond making CI strictness visible.
export {};
