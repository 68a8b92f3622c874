import { Global, Module } from '@nestjs/common';
import { ConfigType, ConfigModule as NestConfigModule, registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';
import { shouldReadEnvFile } from './read-environment';
import { Settings } from './settings';

// Runs once `.env` has been merged into the environment (real variables win).
const settingsConfig = registerAs('settings', () => new Settings(validateEnvironment(process.env)));

@Global()
@Module({
  imports: [
    NestConfigModule.forRoot({
      envFilePath: '.env',
      ignoreEnvFile: !shouldReadEnvFile(),
      load: [settingsConfig],
    }),
  ],
  providers: [
    {
      provide: Settings,
      inject: [settingsConfig.KEY],
      useFactory: (settings: ConfigType<typeof settingsConfig>): Settings => settings,
    },
  ],
  exports: [Settings],
})
export class ConfigModule {}
