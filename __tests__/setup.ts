import { Testing } from "cdktf";

// Registers cdktf's jest matchers (toHaveResourceWithProperties, toBeValidTerraform, ...) for every test file.
Testing.setupJest();
