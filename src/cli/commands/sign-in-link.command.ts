import { INestApplicationContext } from '@nestjs/common';
import { SignInLinkRequestDto } from '../../sign-in-links/dto/sign-in-link-request.dto';
import { SignInLinksService } from '../../sign-in-links/sign-in-links.service';
import { validateInput } from '../validate-input';

export const SIGN_IN_LINK_OPTIONS = {
  hostname: { type: 'string' },
  email: { type: 'string' },
} as const;

export function parseSignInLinkInput(args: Partial<Record<keyof typeof SIGN_IN_LINK_OPTIONS, string>>): SignInLinkRequestDto {
  return validateInput(SignInLinkRequestDto, { hostname: args.hostname, email: args.email });
}

export async function runSignInLink(app: INestApplicationContext, input: SignInLinkRequestDto): Promise<object> {
  const link = await app.get(SignInLinksService).issue(input.hostname, input.email);
  return { url: link.url, expiresAt: link.expiresAt.toISOString(), organization: link.organization, user: link.user };
}
