// Runs once before all test files. Model fixtures are generated lazily by test/helpers/fixture.ts.
export default function setup(): void {}
