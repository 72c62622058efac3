import { CreateJob$ } from '@aws-sdk/client-mediaconvert';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadBotocoreModel,
  loadSdkV3Model,
  validateOperationInput,
  type ServiceModel,
} from '#test/helpers/service-model';

let models: { structure: ServiceModel; constraints: ServiceModel };
beforeAll(() => {
  models = { structure: loadSdkV3Model(CreateJob$), constraints: loadBotocoreModel() };
});

const ROLE = 'arn:aws:iam::111122223333:role/MediaConvert';

/** A request that conforms: one input, one MP4 output. Each test breaks one rule of it. */
function minimalRequest(): Record<string, unknown> {
  return {
    Role: ROLE,
    Settings: {
      Inputs: [
        { FileInput: 's3://bucket/uploads/1/nonce', InputClippings: [{ EndTimecode: '00:00:16:00' }] },
      ],
      OutputGroups: [
        {
          OutputGroupSettings: {
            Type: 'FILE_GROUP_SETTINGS',
            FileGroupSettings: { Destination: 's3://bucket/processed/1/video' },
          },
          Outputs: [
            {
              ContainerSettings: { Container: 'MP4' },
              VideoDescription: {
                Width: 1280,
                Height: 720,
                CodecSettings: {
                  Codec: 'H_264',
                  H264Settings: { RateControlMode: 'QVBR', QvbrSettings: { QvbrQualityLevel: 7 } },
                },
              },
            },
          ],
        },
      ],
    },
  };
}

function h264(request: Record<string, unknown>): Record<string, unknown> {
  const settings = request.Settings as {
    OutputGroups: [
      { Outputs: [{ VideoDescription: { CodecSettings: { H264Settings: Record<string, unknown> } } }] },
    ];
  };
  return settings.OutputGroups[0].Outputs[0].VideoDescription.CodecSettings.H264Settings;
}

describe('validateOperationInput (MediaConvert CreateJob)', () => {
  it('accepts a conforming request', () => {
    expect(validateOperationInput(models, 'CreateJob', minimalRequest())).toEqual([]);
  });

  it('reports a missing required member', () => {
    // Prepare
    const request = minimalRequest();
    delete request.Role;

    // Act + Assess
    expect(validateOperationInput(models, 'CreateJob', request)).toEqual(['CreateJob.Role: required']);
  });

  it('reports a member the structure does not have (a typo)', () => {
    // Prepare
    const request = minimalRequest();
    h264(request).FrameRateControl = 'SPECIFIED';

    // Act + Assess
    expect(validateOperationInput(models, 'CreateJob', request)).toEqual([
      'CreateJob.Settings.OutputGroups[0].Outputs[0].VideoDescription.CodecSettings.H264Settings.FrameRateControl: not a member of this structure',
    ]);
  });

  it('reports a value outside the enum, from the full model', () => {
    // Prepare
    const request = minimalRequest();
    h264(request).RateControlMode = 'CRF';

    // Act
    const errors = validateOperationInput(models, 'CreateJob', request);

    // Assess
    expect(errors).toEqual([
      'CreateJob.Settings.OutputGroups[0].Outputs[0].VideoDescription.CodecSettings.H264Settings.RateControlMode: "CRF" is not one of VBR, CBR, QVBR',
    ]);
  });

  it('reports numbers outside their range and values of the wrong type', () => {
    // Prepare
    const request = minimalRequest();
    (h264(request).QvbrSettings as Record<string, unknown>).QvbrQualityLevel = 11;
    h264(request).FramerateNumerator = 0;
    h264(request).GopSize = '2';

    // Act
    const errors = validateOperationInput(models, 'CreateJob', request);

    // Assess
    const prefix =
      'CreateJob.Settings.OutputGroups[0].Outputs[0].VideoDescription.CodecSettings.H264Settings';
    expect(errors).toEqual([
      `${prefix}.QvbrSettings.QvbrQualityLevel: value 11 is above 10`,
      `${prefix}.FramerateNumerator: value 0 is below 1`,
      `${prefix}.GopSize: expected a number, got "2"`,
    ]);
  });

  it('reports a string that breaks its pattern and a list that is not a list', () => {
    // Prepare
    const request = minimalRequest();
    const settings = request.Settings as { Inputs: [Record<string, unknown>] };
    settings.Inputs[0].InputClippings = [{ EndTimecode: '16s' }];
    (request.Settings as Record<string, unknown>).OutputGroups = { Outputs: [] };

    // Act
    const errors = validateOperationInput(models, 'CreateJob', request);

    // Assess
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(
      /^CreateJob\.Settings\.Inputs\[0\]\.InputClippings\[0\]\.EndTimecode: "16s" does not match /,
    );
    expect(errors[1]).toBe('CreateJob.Settings.OutputGroups: expected a list');
  });
});
