import {
  basicIngestTopic,
  commandResponseTopic,
  commandTopic,
  devicePublishAllowed,
  deviceSubscribeAllowed,
  edgeCommandFilter,
  edgeCommandTopic,
  parseDeviceTopic,
  parseEdgeCommandTopic,
  splitBasicIngest,
  TopicMemo,
  telemetryTopic,
  topicMatches,
} from '../../core/topics';

describe('topics', () => {
  it('when building device topics, follows the dt/cmd layout', () => {
    expect(telemetryTopic('plant-a', 'd1')).toBe('dt/aiot/plant-a/d1/telemetry');
    expect(commandTopic('plant-a', 'd1', 'safe-mode')).toBe('cmd/aiot/plant-a/d1/safe-mode');
    expect(commandResponseTopic('plant-a', 'd1', 'safe-mode')).toBe('cmd/aiot/plant-a/d1/safe-mode/res');
  });

  it('when a topic goes through Basic Ingest, splits out the rule and the topic the rule sees', () => {
    const t = basicIngestTopic('aiot_dev_telemetry', telemetryTopic('plant-a', 'd1'));
    expect(t).toBe('$aws/rules/aiot_dev_telemetry/dt/aiot/plant-a/d1/telemetry');
    expect(splitBasicIngest(t)).toEqual({
      ruleName: 'aiot_dev_telemetry',
      topic: 'dt/aiot/plant-a/d1/telemetry',
    });
    expect(splitBasicIngest('dt/aiot/plant-a/d1/telemetry')).toBeUndefined();
  });

  it('when parsing topics, recognises data, commands and responses and nothing else', () => {
    expect(parseDeviceTopic('dt/aiot/plant-a/d1/telemetry')).toMatchObject({
      direction: 'dt',
      deviceId: 'd1',
      leaf: 'telemetry',
    });
    expect(parseDeviceTopic('cmd/aiot/plant-a/d1/safe-mode/res')).toMatchObject({
      direction: 'cmd',
      response: true,
    });
    expect(parseDeviceTopic('dt/other/plant-a/d1/telemetry')).toBeUndefined();
    expect(parseDeviceTopic('dt/aiot/plant-a/d1/telemetry/extra')).toBeUndefined();
  });

  it('when matching filters, honours + and #', () => {
    expect(topicMatches('dt/aiot/+/+/telemetry', 'dt/aiot/s/d/telemetry')).toBe(true);
    expect(topicMatches('dt/aiot/+/+/telemetry', 'dt/aiot/s/d/events')).toBe(false);
    expect(topicMatches('dt/#', 'dt/aiot/s/d/events')).toBe(true);
    expect(topicMatches('dt/aiot/+', 'dt/aiot/s/d')).toBe(false);
  });

  it('when a device publishes, allows only its own data topics and command replies', () => {
    expect(devicePublishAllowed('d1', 'dt/aiot/plant-a/d1/telemetry')).toBe(true);
    expect(devicePublishAllowed('d1', '$aws/rules/aiot_dev_telemetry/dt/aiot/plant-a/d1/telemetry')).toBe(
      true,
    );
    expect(devicePublishAllowed('d1', 'cmd/aiot/plant-a/d1/safe-mode/res')).toBe(true);
    expect(devicePublishAllowed('d1', 'dt/aiot/plant-a/d2/telemetry')).toBe(false);
    expect(devicePublishAllowed('d1', 'cmd/aiot/plant-a/d1/safe-mode')).toBe(false);
    expect(devicePublishAllowed('d1', 'dt/aiot/plant-a/d1/anything')).toBe(false);
  });

  it('when a device subscribes, allows only filters inside its own command space', () => {
    expect(deviceSubscribeAllowed('d1', 'cmd/aiot/plant-a/d1/+')).toBe(true);
    expect(deviceSubscribeAllowed('d1', 'cmd/aiot/+/d1/#')).toBe(true);
    expect(deviceSubscribeAllowed('d1', 'cmd/aiot/plant-a/+/+')).toBe(false);
    expect(deviceSubscribeAllowed('d1', 'cmd/aiot/#')).toBe(false);
    expect(deviceSubscribeAllowed('d1', 'dt/aiot/plant-a/d1/telemetry')).toBe(false);
  });

  it('when a device subscribes to its site edge commands, a site broker allows one site and IoT Core none', () => {
    expect(deviceSubscribeAllowed('d1', edgeCommandFilter('plant-a'), true)).toBe(true);
    expect(deviceSubscribeAllowed('d1', edgeCommandFilter('plant-a'))).toBe(false);
    expect(deviceSubscribeAllowed('d1', 'cmd/aiot-edge/+/+', true)).toBe(false);
    expect(deviceSubscribeAllowed('d1', 'cmd/aiot-edge/#', true)).toBe(false);
    expect(deviceSubscribeAllowed('d1', 'cmd/aiot-edge/plant-a/#', true)).toBe(false);
  });

  it('when an edge command topic is parsed, gives its site and command; a device topic is not one', () => {
    expect(parseEdgeCommandTopic(edgeCommandTopic('plant-a', 'safe-mode'))).toEqual({
      site: 'plant-a',
      command: 'safe-mode',
    });
    expect(parseEdgeCommandTopic(commandTopic('plant-a', 'd1', 'safe-mode'))).toBeUndefined();
    expect(parseDeviceTopic(edgeCommandTopic('plant-a', 'safe-mode'))).toBeUndefined();
  });
});

describe('TopicMemo', () => {
  it('when a topic comes again, answers without deciding again, and starts afresh past its size or when cleared', () => {
    const decided: string[] = [];
    const memo = new TopicMemo((topic) => {
      decided.push(topic);
      return topic.length;
    }, 2);
    expect([memo.get('a/b'), memo.get('a/b'), memo.get('c')]).toEqual([3, 3, 1]);
    expect(decided).toEqual(['a/b', 'c']);
    memo.get('d/e/f'); // the third topic: the memo was full, so it starts afresh
    memo.get('a/b');
    expect(decided).toEqual(['a/b', 'c', 'd/e/f', 'a/b']);
    memo.clear();
    memo.get('d/e/f');
    expect(decided).toEqual(['a/b', 'c', 'd/e/f', 'a/b', 'd/e/f']);
  });
});
