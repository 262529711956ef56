/** Why a test service could not be provided; `code` is stable for scripts and specs. */
export class TestServiceError extends Error {
  override readonly name = 'TestServiceError';
  constructor(
    readonly code:
      | 'GOIM_ERR_TESTSVC_MISSING_BINARY'
      | 'GOIM_ERR_TESTSVC_INSTALL_FAILED'
      | 'GOIM_ERR_TESTSVC_START_TIMEOUT'
      | 'GOIM_ERR_TESTSVC_EXITED'
      | 'GOIM_ERR_TESTSVC_COMMAND_FAILED'
      | 'GOIM_ERR_TESTSVC_BAD_ARGUMENT'
      | 'GOIM_ERR_TESTSVC_NO_PORT',
    message: string,
  ) {
    super(message);
  }
}
