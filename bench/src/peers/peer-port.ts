/** The port a bench child listens on (127.0.0.1), from PORT. */
export function peerPort(): number {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) {
    console.error("set PORT to a port number");
    process.exit(1);
  }
  return port;
}
