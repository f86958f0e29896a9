// Starts Unleash on 127.0.0.1 against the PostgreSQL that scripts/unleash-up created.
const unleash = require('unleash-server');

unleash
  .start({
    db: {
      host: '127.0.0.1',
      port: Number(process.env.FLAGLINT_PGPORT),
      user: 'postgres',
      password: '',
      database: 'unleash',
      ssl: false,
    },
    server: { host: '127.0.0.1', port: Number(process.env.FLAGLINT_UNLEASH_PORT) },
    logLevel: 'warn',
  })
  .then(() => console.log('unleash ready'))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
