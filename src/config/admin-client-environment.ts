import { plainToInstance, Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Matches, validateSync } from 'class-validator';
import { InvalidEnvironmentError } from './environment';

/** Settings of the signing client (`npm run cli -- admin …`), not of the service. */
export class AdminClientEnvironment {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/\/+$/, '') : value))
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'ADMIN_API_URL must be an http(s) URL such as http://localhost:3000' })
  ADMIN_API_URL = 'http://localhost:3000';

  @IsString({ message: 'ADMIN_API_KEY must be set to the API key (ak_…)' })
  @IsNotEmpty({ message: 'ADMIN_API_KEY must be set to the API key (ak_…)' })
  ADMIN_API_KEY!: string;

  @IsString({ message: 'ADMIN_API_SECRET must be set to the API key secret' })
  @IsNotEmpty({ message: 'ADMIN_API_SECRET must be set to the API key secret' })
  ADMIN_API_SECRET!: string;
}

export function readAdminClientEnvironment(env: NodeJS.ProcessEnv = process.env): AdminClientEnvironment {
  const parsed = plainToInstance(AdminClientEnvironment, env, { exposeDefaultValues: true });
  const errors = validateSync(parsed, { whitelist: true, stopAtFirstError: true });
  if (errors.length > 0) {
    throw new InvalidEnvironmentError(errors.map((error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`));
  }
  return parsed;
}
