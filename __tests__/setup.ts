import { Testing } from "cdktf";
// Types of cdktf's jest matchers (toHaveResourceWithProperties, ...) for every test file.
import type {} from "cdktf/lib/testing/adapters/jest";

// Registers cdktf's jest matchers for every test file.
Testing.setupJest();
